package dev.metricspipeline.formats;

import dev.metricspipeline.formats.internal.LineScanner;
import dev.metricspipeline.formats.internal.ParsedSamples;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.SampleType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Influx line protocol ({@code measurement[,tag=value...] field=value[,...] [timestamp]}), mapped
 * the way Telegraf's Prometheus serializer maps it: each numeric field becomes the sample {@code
 * <measurement>_<field>} (just {@code <field>} for the measurement {@code prometheus}), tags become
 * labels, names are sanitized to Prometheus' character set, booleans become 1 and 0, and string
 * fields are skipped and counted ({@link ParseResult#exemplarsDropped()} is reused for that count:
 * nothing else is dropped here). Samples are {@code UNTYPED}.
 *
 * <p>Timestamps are integers in the request's precision ({@code ns} by default); without one, the
 * receive time. All or nothing: one bad line refuses the body, naming line and column.
 */
public final class InfluxLineParser implements MetricsParser {

  private final TimeUnit precision;

  private InfluxLineParser(TimeUnit precision) {
    this.precision = precision;
  }

  /**
   * A parser for a {@code precision} query parameter: {@code ns} (default), {@code n}, {@code u},
   * {@code us}, {@code ms}, {@code s}, {@code m}, {@code h}.
   *
   * @throws IllegalArgumentException for anything else
   */
  public static InfluxLineParser withPrecision(String precision) {
    String p = precision == null || precision.isBlank() ? "ns" : precision.toLowerCase(Locale.ROOT);
    TimeUnit unit =
        switch (p) {
          case "ns", "n" -> TimeUnit.NANOSECONDS;
          case "us", "u", "µs" -> TimeUnit.MICROSECONDS;
          case "ms" -> TimeUnit.MILLISECONDS;
          case "s" -> TimeUnit.SECONDS;
          case "m" -> TimeUnit.MINUTES;
          case "h" -> TimeUnit.HOURS;
          default ->
              throw new IllegalArgumentException(
                  "precision must be one of ns, us, ms, s, m, h; got \"" + precision + "\"");
        };
    return new InfluxLineParser(unit);
  }

  @Override
  public ParseResult parse(byte[] body, long defaultTimestampMs) throws ParseException {
    String text = new String(body, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1);
    List<MetricSample> samples = new ArrayList<>();
    List<String> families = new ArrayList<>();
    int stringFields = 0;
    for (int i = 0; i < lines.length; i++) {
      String line =
          lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      stringFields +=
          line(new LineScanner(line, i + 1), line, defaultTimestampMs, samples, families);
    }
    return new ParseResult(samples, families, stringFields, 0);
  }

  private int line(
      LineScanner in, String text, long defaultTs, List<MetricSample> out, List<String> families)
      throws ParseException {
    int start = in.pos();
    String measurement = unescaped(in, text, true, false);
    if (measurement.isEmpty()) {
      throw in.errorAt(start, "a measurement name");
    }
    TreeMap<String, String> labels = new TreeMap<>();
    while (in.consume(',')) {
      int keyAt = in.pos();
      String key = unescaped(in, text, false, true);
      if (key.isEmpty()) {
        throw in.errorAt(keyAt, "a tag key");
      }
      in.expect('=', "'=' after tag key " + key);
      String value = unescaped(in, text, false, false);
      if (value.isEmpty()) {
        throw in.error("a tag value for " + key);
      }
      labels.put(sanitize(key, false), value);
    }
    in.expect(' ', "' ' before the fields");
    List<String[]> fields = new ArrayList<>();
    do {
      int keyAt = in.pos();
      String key = unescaped(in, text, false, true);
      if (key.isEmpty()) {
        throw in.errorAt(keyAt, "a field key");
      }
      in.expect('=', "'=' after field key " + key);
      fields.add(new String[] {key, fieldValue(in, text)});
    } while (in.consume(','));
    long timestampMs = defaultTs;
    if (!in.atEnd()) {
      in.expect(' ', "' ' before the timestamp, or end of line");
      int tsAt = in.pos();
      String ts = in.token(false);
      try {
        timestampMs = TimeUnit.MILLISECONDS.convert(Long.parseLong(ts), precision);
      } catch (NumberFormatException e) {
        throw in.tokenErrorAt(
            tsAt, "an integer timestamp in " + precision.name().toLowerCase(Locale.ROOT));
      }
      if (!in.atEnd()) {
        throw in.error("end of line after the timestamp");
      }
    }
    int skipped = 0;
    for (String[] field : fields) {
      Double value = numeric(field[1]);
      if (value == null) {
        skipped++;
        continue;
      }
      String family =
          sanitize(
              measurement.equals("prometheus") ? field[0] : measurement + "_" + field[0], true);
      out.add(ParsedSamples.of(family, labels, SampleType.UNTYPED, value, timestampMs, defaultTs));
      families.add(family);
    }
    return skipped;
  }

  /** Reads up to an unescaped delimiter: space and comma always; '=' for keys. */
  private static String unescaped(LineScanner in, String text, boolean measurement, boolean key) {
    StringBuilder out = new StringBuilder();
    while (!in.atEnd()) {
      char c = in.peek();
      if (c == '\\' && in.pos() + 1 < text.length()) {
        char next = text.charAt(in.pos() + 1);
        if (next == ',' || next == ' ' || next == '=' || next == '\\') {
          out.append(next);
          in.consume('\\');
          in.consume(next);
          continue;
        }
      }
      if (c == ' ' || c == ',' || (!measurement && c == '=')) {
        break;
      }
      out.append(c);
      in.consume(c);
    }
    return out.toString();
  }

  /** A field value as written: a quoted string (kept quoted) or a bare token. */
  private static String fieldValue(LineScanner in, String text) throws ParseException {
    if (!in.atEnd() && in.peek() == '"') {
      int start = in.pos();
      in.consume('"');
      while (true) {
        if (in.atEnd()) {
          throw in.error("'\"' to end the string field");
        }
        char c = in.peek();
        in.consume(c);
        if (c == '\\' && !in.atEnd()) {
          in.consume(in.peek());
        } else if (c == '"') {
          return text.substring(start, in.pos());
        }
      }
    }
    int at = in.pos();
    StringBuilder token = new StringBuilder();
    while (!in.atEnd() && in.peek() != ',' && in.peek() != ' ') {
      token.append(in.peek());
      in.consume(in.peek());
    }
    String value = token.toString();
    if (value.isEmpty() || (numeric(value) == null && !value.startsWith("\""))) {
      throw in.tokenErrorAt(at, "a field value (number, 1i, 1u, true/false or \"string\")");
    }
    return value;
  }

  /** The number a field value stands for; null for strings. */
  private static Double numeric(String value) {
    if (value.startsWith("\"")) {
      return null;
    }
    switch (value) {
      case "t", "T", "true", "True", "TRUE" -> {
        return 1.0;
      }
      case "f", "F", "false", "False", "FALSE" -> {
        return 0.0;
      }
      default -> {}
    }
    String number = value;
    if (value.endsWith("i") || value.endsWith("u")) {
      number = value.substring(0, value.length() - 1);
      if (!dev.metricspipeline.formats.internal.Numbers.isInteger(number)) {
        return null;
      }
      return Double.parseDouble(number);
    }
    return dev.metricspipeline.formats.internal.Numbers.isDecimal(number)
        ? Double.parseDouble(number)
        : null;
  }

  /** Replaces characters Prometheus does not allow in names with '_'. */
  static String sanitize(String name, boolean metric) {
    StringBuilder out = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || (metric && c == ':')
              || (i > 0 && c >= '0' && c <= '9');
      out.append(ok ? c : '_');
    }
    return out.toString();
  }
}
