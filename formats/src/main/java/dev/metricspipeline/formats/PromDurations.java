package dev.metricspipeline.formats;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Prometheus durations ({@code 1m}, {@code 1h30m}, {@code 90s}, {@code 100ms}) and times. */
public final class PromDurations {

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w|y)");

  private PromDurations() {}

  /**
   * Parses a Prometheus duration into milliseconds.
   *
   * @throws IllegalArgumentException if it is not one
   */
  public static long parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    Matcher m = PART.matcher(text);
    long total = 0;
    int at = 0;
    while (at < text.length()) {
      if (!m.find(at) || m.start() != at) {
        throw new IllegalArgumentException("not a duration: \"" + text + "\"");
      }
      long n = Long.parseLong(m.group(1));
      total +=
          switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            case "h" -> n * 3_600_000;
            case "d" -> n * 86_400_000;
            case "w" -> n * 7 * 86_400_000;
            default -> n * 365 * 86_400_000;
          };
      at = m.end();
    }
    return total;
  }

  /**
   * A {@code step} or {@code timeout}: a duration, or a number of seconds ({@code 60}, {@code
   * 15.5}).
   */
  public static long parseStep(String text) {
    try {
      return Math.round(Double.parseDouble(text) * 1000);
    } catch (NumberFormatException e) {
      return parse(text);
    }
  }

  /**
   * A time parameter: Unix seconds ({@code 1764000000}, {@code 1764000000.123}) or RFC 3339.
   *
   * @throws IllegalArgumentException if it is neither
   */
  public static long parseTime(String text) {
    try {
      double seconds = Double.parseDouble(text);
      if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
        throw new IllegalArgumentException("not a time: \"" + text + "\"");
      }
      return Math.round(seconds * 1000);
    } catch (NumberFormatException e) {
      try {
        return java.time.OffsetDateTime.parse(text).toInstant().toEpochMilli();
      } catch (java.time.format.DateTimeParseException e2) {
        throw new IllegalArgumentException(
            "cannot parse \"" + text + "\" to a valid timestamp", e2);
      }
    }
  }

  /** The shortest Prometheus spelling of a duration: {@code 1m}, {@code 1h30m}, {@code 90s}. */
  public static String format(long ms) {
    if (ms == 0) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    long[] units = {3_600_000, 60_000, 1000, 1};
    String[] names = {"h", "m", "s", "ms"};
    long rest = ms;
    for (int i = 0; i < units.length; i++) {
      if (rest >= units[i]) {
        out.append(rest / units[i]).append(names[i]);
        rest %= units[i];
      }
    }
    return out.toString();
  }
}
