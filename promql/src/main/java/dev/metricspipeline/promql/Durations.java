package dev.metricspipeline.promql;

/** PromQL durations: {@code 5m}, {@code 1h30m}, {@code 500ms}; a year is 365 days. */
public final class Durations {
  private Durations() {}

  private static final long[] UNIT_MS = {
    365L * 24 * 3_600_000, 7L * 24 * 3_600_000, 24L * 3_600_000, 3_600_000, 60_000, 1000, 1
  };
  private static final String[] UNITS = {"y", "w", "d", "h", "m", "s", "ms"};

  /** Milliseconds of a duration such as {@code 1h30m}. */
  public static long parse(String text) {
    long total = 0;
    int i = 0;
    int lastUnit = -1;
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && Character.isDigit(text.charAt(i))) {
        i++;
      }
      int unitStart = i;
      while (i < text.length() && Character.isLetter(text.charAt(i))) {
        i++;
      }
      if (start == unitStart) {
        throw new IllegalArgumentException("bad duration \"" + text + "\"");
      }
      String unit = text.substring(unitStart, i);
      int u = indexOf(unit);
      if (u < 0 || u <= lastUnit) {
        throw new IllegalArgumentException("bad duration \"" + text + "\"");
      }
      lastUnit = u;
      total =
          Math.addExact(
              total,
              Math.multiplyExact(Long.parseLong(text.substring(start, unitStart)), UNIT_MS[u]));
    }
    return total;
  }

  /** The canonical text of a duration: {@code 90m} prints as {@code 1h30m}, 0 as {@code 0s}. */
  public static String format(long ms) {
    if (ms == 0) {
      return "0s";
    }
    StringBuilder out = new StringBuilder(ms < 0 ? "-" : "");
    long rest = Math.abs(ms);
    for (int u = 0; u < UNITS.length; u++) {
      long n = rest / UNIT_MS[u];
      if (n > 0) {
        out.append(n).append(UNITS[u]);
        rest -= n * UNIT_MS[u];
      }
    }
    return out.toString();
  }

  private static int indexOf(String unit) {
    for (int u = 0; u < UNITS.length; u++) {
      if (UNITS[u].equals(unit)) {
        return u;
      }
    }
    return -1;
  }
}
