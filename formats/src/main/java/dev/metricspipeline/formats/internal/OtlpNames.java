package dev.metricspipeline.formats.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * OpenTelemetry metric and attribute names as Prometheus names, after the OpenTelemetry
 * specification's "Prometheus and OpenMetrics Compatibility" rules (the ones Prometheus 3's own
 * OTLP receiver applies with its default {@code UnderscoreEscapingWithSuffixes} strategy):
 *
 * <ul>
 *   <li>characters outside {@code [a-zA-Z0-9_:]} become {@code _}, runs of {@code _} collapse to
 *       one, and a leading digit gets a {@code _} in front;
 *   <li>the unit, in Prometheus words ({@code s} → {@code seconds}, {@code By} → {@code bytes},
 *       {@code foo/bar} → {@code foo_per_bar}, {@code {packet}} → nothing), is appended unless a
 *       name token already is that word; a gauge of unit {@code 1} gets {@code _ratio};
 *   <li>a monotonic sum gets {@code _total} unless the name already ends in it.
 * </ul>
 *
 * With suffixes off ({@code --otlp-name-suffixes=false}) only the character escaping is applied.
 * Attribute names follow the label rule: invalid characters become {@code _} and runs collapse (so
 * no label starts with the reserved {@code __}); a name that would start with a digit gets a {@code
 * key_} prefix.
 */
public final class OtlpNames {
  private OtlpNames() {}

  /** What the suffix rules need to know about a metric. */
  public enum Kind {
    COUNTER,
    GAUGE,
    OTHER
  }

  private static final Map<String, String> UNITS =
      Map.ofEntries(
          Map.entry("d", "days"),
          Map.entry("h", "hours"),
          Map.entry("min", "minutes"),
          Map.entry("s", "seconds"),
          Map.entry("ms", "milliseconds"),
          Map.entry("us", "microseconds"),
          Map.entry("ns", "nanoseconds"),
          Map.entry("By", "bytes"),
          Map.entry("KiBy", "kibibytes"),
          Map.entry("MiBy", "mebibytes"),
          Map.entry("GiBy", "gibibytes"),
          Map.entry("TiBy", "tibibytes"),
          Map.entry("KBy", "kilobytes"),
          Map.entry("MBy", "megabytes"),
          Map.entry("GBy", "gigabytes"),
          Map.entry("TBy", "terabytes"),
          Map.entry("m", "meters"),
          Map.entry("V", "volts"),
          Map.entry("A", "amperes"),
          Map.entry("J", "joules"),
          Map.entry("W", "watts"),
          Map.entry("g", "grams"),
          Map.entry("Cel", "celsius"),
          Map.entry("Hz", "hertz"),
          Map.entry("%", "percent"));

  private static final Map<String, String> PER_UNITS =
      Map.of(
          "s", "second",
          "m", "minute",
          "h", "hour",
          "d", "day",
          "w", "week",
          "mo", "month",
          "y", "year");

  /**
   * The Prometheus metric family name of an OpenTelemetry metric.
   *
   * @param suffixes whether unit and type suffixes are added
   */
  public static String metricName(String name, String unit, Kind kind, boolean suffixes) {
    String base = escape(name, true);
    if (!suffixes) {
      return base;
    }
    List<String> tokens = new ArrayList<>(Arrays.asList(base.split("_", -1)));
    StringBuilder out = new StringBuilder(base);
    String main = unitWords(unit);
    if (!main.isEmpty() && !tokens.contains(main) && !base.endsWith("_" + main)) {
      append(out, main);
    }
    if (kind == Kind.GAUGE && "1".equals(unit.trim()) && !tokens.contains("ratio")) {
      append(out, "ratio");
    }
    if (kind == Kind.COUNTER && !out.toString().endsWith("_total")) {
      append(out, "total");
    }
    return out.toString();
  }

  private static void append(StringBuilder out, String suffix) {
    if (out.length() > 0 && out.charAt(out.length() - 1) != '_') {
      out.append('_');
    }
    out.append(suffix);
  }

  /**
   * The unit as Prometheus words: {@code ms} → {@code milliseconds}, {@code By/s} → {@code
   * bytes_per_second}, {@code {request}} and {@code 1} → empty. Units not in the table are kept,
   * escaped.
   */
  public static String unitWords(String unit) {
    String u = unit == null ? "" : unit.trim();
    int brace = u.indexOf('{');
    if (brace >= 0) {
      u = u.substring(0, brace).trim();
    }
    if (u.isEmpty() || u.equals("1")) {
      return "";
    }
    String main = u;
    String per = "";
    int slash = u.indexOf('/');
    if (slash >= 0) {
      main = u.substring(0, slash).trim();
      per = u.substring(slash + 1).trim();
    }
    String mainWord = main.isEmpty() || main.equals("1") ? "" : UNITS.getOrDefault(main, main);
    String perWord = per.isEmpty() ? "" : PER_UNITS.getOrDefault(per, UNITS.getOrDefault(per, per));
    String words;
    if (perWord.isEmpty()) {
      words = mainWord;
    } else if (mainWord.isEmpty()) {
      words = "per_" + perWord;
    } else {
      words = mainWord + "_per_" + perWord;
    }
    String escaped = escape(words, true);
    return escaped.replaceAll("^_+|_+$", "");
  }

  /** An attribute name as a label name. */
  public static String labelName(String name) {
    if (name.isEmpty()) {
      return "key_";
    }
    String escaped = escape(name, false);
    if (Character.isDigit(escaped.charAt(0)) || escaped.equals("_")) {
      return "key_" + escaped.replaceFirst("^_", "");
    }
    return escaped;
  }

  /** Replaces invalid characters with {@code _}, collapses runs of {@code _}. */
  static String escape(String name, boolean colons) {
    StringBuilder out = new StringBuilder(name.length() + 1);
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || (colons && c == ':');
      char next = ok ? c : '_';
      if (next == '_' && out.length() > 0 && out.charAt(out.length() - 1) == '_') {
        continue;
      }
      out.append(next);
    }
    if (colons && (out.length() == 0 || Character.isDigit(out.charAt(0)))) {
      out.insert(0, '_');
    }
    return out.toString();
  }
}
