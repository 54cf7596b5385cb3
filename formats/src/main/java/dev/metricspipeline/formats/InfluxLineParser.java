package dev.metricspipeline.formats;

import dev.metricspipeline.formats.internal.LineScanner;
import dev.metricspipeline.schemas.avro.SampleType;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

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
 *
 * <p>The grammar is InfluxDB's ({@code models/points.go}), both ways: runs of spaces or tabs
 * between sections and trailing spaces are accepted, a newline inside a quoted string field value
 * does not end the line; refused are duplicate tag keys (and two keys that sanitize to the same
 * label), an unescaped '=' in a tag value, integers outside 64 bits, negative or too large unsigned
 * integers, floats that overflow, NaN and infinities, and names or tag values with invalid UTF-8 or
 * non-printable characters. Deliberate differences: a line may end in CRLF (the CR is dropped), and
 * a line with invalid UTF-8 is refused even when the bytes are inside a string field value (which
 * this mapping drops anyway).
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
    List<ParsedSample> samples = new ArrayList<>();
    List<String> families = new ArrayList<>();
    int stringFields = 0;
    int lineNo = 1;
    int at = 0;
    while (at <= body.length) {
      int end = lineEnd(body, at);
      String line = decode(body, at, end, lineNo);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      int first = skipWhitespace(line, 0);
      if (first < line.length() && line.charAt(first) != '#') {
        stringFields +=
            line(new LineScanner(line, lineNo), line, first, defaultTimestampMs, samples, families);
      }
      for (int i = at; i < end; i++) {
        if (body[i] == '\n') {
          lineNo++; // a newline inside a string field value
        }
      }
      lineNo++;
      at = end + 1;
    }
    return new ParseResult(samples, families, stringFields, 0);
  }

  /**
   * Where the line starting at {@code from} ends: the first newline that is not inside a quoted
   * string field value (as InfluxDB scans lines), or the end of the body. Every delimiter is ASCII,
   * so scanning UTF-8 bytes is safe.
   */
  private static int lineEnd(byte[] body, int from) {
    boolean fields = false;
    boolean quoted = false;
    int equals = 0;
    int commas = 0;
    int i = from;
    while (i < body.length) {
      byte b = body[i];
      if (b == '\\') {
        i += 2;
        continue;
      }
      if (b == ' ') {
        fields = true;
      }
      if (fields) {
        if (!quoted && b == '=') {
          equals++;
        } else if (!quoted && b == ',') {
          commas++;
        } else if (b == '"' && equals > commas) {
          quoted = !quoted;
        }
      }
      if (b == '\n' && !quoted) {
        return i;
      }
      i++;
    }
    return body.length;
  }

  /** Strict UTF-8: a line with a malformed sequence is refused, naming where. */
  private static String decode(byte[] body, int from, int to, int lineNo) throws ParseException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(body, from, Math.min(to, body.length) - from);
    try {
      return decoder.decode(in).toString();
    } catch (CharacterCodingException e) {
      int bad = from;
      CharsetDecoder probe = StandardCharsets.UTF_8.newDecoder();
      ByteBuffer scan = ByteBuffer.wrap(body, from, Math.min(to, body.length) - from);
      CharBuffer out = CharBuffer.allocate(Math.max(1, to - from));
      probe.decode(scan, out, true);
      bad = scan.position();
      int column = new String(body, from, bad - from, StandardCharsets.UTF_8).length() + 1;
      throw new ParseException(
          lineNo,
          column,
          String.format(
              "invalid UTF-8: byte 0x%02x does not start or continue a character",
              body[bad] & 0xff));
    }
  }

  private int line(
      LineScanner in,
      String text,
      int start,
      long defaultTs,
      List<ParsedSample> out,
      List<String> families)
      throws ParseException {
    Cursor c = new Cursor(in, text, start);
    String measurement = c.measurement();
    TreeMap<String, String> labels = new TreeMap<>();
    Map<String, String> rawKeys = new HashMap<>();
    while (c.consume(',')) {
      int keyAt = c.pos;
      String key = c.name(true, "a tag key");
      c.expect('=', "'=' after tag key " + key);
      int valueAt = c.pos;
      String value = c.name(false, "a tag value for " + key);
      if (!c.atEnd() && c.peek() == '=') {
        throw in.problemAt(c.pos, "invalid tag value for " + key + ": unescaped '='");
      }
      if (!c.atEnd() && c.peek() != ',' && c.peek() != ' ') {
        throw in.errorAt(c.pos, "',' or ' ' after the value of tag " + key);
      }
      checkPrintable(in, valueAt, value, "tag value");
      String label = sanitize(key, false);
      String earlier = rawKeys.put(label, key);
      if (earlier != null) {
        throw in.problemAt(
            keyAt,
            earlier.equals(key)
                ? "duplicate tag key \"" + key + "\""
                : "tag keys \"" + earlier + "\" and \"" + key + "\" both become label " + label);
      }
      labels.put(label, value);
    }
    if (c.atEnd()) {
      throw in.errorAt(c.pos, "' ' before the fields");
    }
    c.skipWhitespace();
    List<String[]> fields = new ArrayList<>();
    do {
      String key = c.name(true, "a field key");
      c.expect('=', "'=' after field key " + key);
      fields.add(new String[] {key, c.fieldValue(key)});
    } while (c.consume(','));
    long timestampMs = defaultTs;
    if (!c.atEnd()) {
      if (c.peek() != ' ' && c.peek() != '\t') {
        throw in.errorAt(
            c.pos, "',' or ' ' after the value of field " + fields.get(fields.size() - 1)[0]);
      }
      c.skipWhitespace();
      if (!c.atEnd()) {
        int tsAt = c.pos;
        String ts = c.until(' ');
        if (!TIMESTAMP.matcher(ts).matches()) {
          throw in.tokenErrorAt(
              tsAt, "an integer timestamp in " + precision.name().toLowerCase(Locale.ROOT));
        }
        try {
          timestampMs = TimeUnit.MILLISECONDS.convert(Long.parseLong(ts), precision);
        } catch (NumberFormatException e) {
          throw in.problemAt(tsAt, "timestamp " + ts + " is out of range for a 64-bit integer");
        }
        while (!c.atEnd()) {
          if (c.peek() != ' ') {
            throw in.errorAt(c.pos, "end of line after the timestamp");
          }
          c.pos++;
        }
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
      out.add(new ParsedSample(family, labels, SampleType.UNTYPED, value, timestampMs));
      families.add(family);
    }
    return skipped;
  }

  private static final Pattern TIMESTAMP = Pattern.compile("-?[0-9]+");
  private static final Pattern FLOAT =
      Pattern.compile("-?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
  private static final Pattern INTEGER = Pattern.compile("-?[0-9]+i");
  private static final Pattern UNSIGNED = Pattern.compile("-?[0-9]+u");

  private static int skipWhitespace(String text, int i) {
    while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  /**
   * Names and tag values must be printable (Go's {@code unicode.IsPrint}, which InfluxDB's
   * validation uses): no control, format, private-use or unassigned characters, and no separator
   * but the ASCII space.
   */
  private static void checkPrintable(LineScanner in, int at, String s, String what)
      throws ParseException {
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int type = Character.getType(cp);
      boolean printable =
          cp == ' '
              || !(type == Character.CONTROL
                  || type == Character.FORMAT
                  || type == Character.PRIVATE_USE
                  || type == Character.SURROGATE
                  || type == Character.UNASSIGNED
                  || type == Character.LINE_SEPARATOR
                  || type == Character.PARAGRAPH_SEPARATOR
                  || type == Character.SPACE_SEPARATOR);
      if (!printable) {
        throw in.problemAt(
            at, String.format("%s contains the non-printable character U+%04X", what, cp));
      }
      i += Character.charCount(cp);
    }
  }

  /** A position in one line and the scanning steps of the grammar. */
  private static final class Cursor {
    private final LineScanner in;
    private final String text;
    private int pos;

    Cursor(LineScanner in, String text, int pos) {
      this.in = in;
      this.text = text;
      this.pos = pos;
    }

    boolean atEnd() {
      return pos >= text.length();
    }

    char peek() {
      return text.charAt(pos);
    }

    boolean consume(char c) {
      if (!atEnd() && peek() == c) {
        pos++;
        return true;
      }
      return false;
    }

    void expect(char c, String what) throws ParseException {
      if (!consume(c)) {
        throw in.errorAt(pos, what);
      }
    }

    void skipWhitespace() {
      pos = InfluxLineParser.skipWhitespace(text, pos);
    }

    String until(char stop) {
      int from = pos;
      while (!atEnd() && peek() != stop) {
        pos++;
      }
      return text.substring(from, pos);
    }

    /**
     * The measurement: up to an unescaped ',' or ' '; {@code \,} and {@code \ } are escapes, any
     * other backslash is kept, as InfluxDB does.
     */
    String measurement() throws ParseException {
      int from = pos;
      StringBuilder out = new StringBuilder();
      while (!atEnd()) {
        char c = peek();
        if (c == '\\' && pos + 1 < text.length()) {
          char next = text.charAt(pos + 1);
          if (next == ',' || next == ' ') {
            out.append(next);
          } else {
            out.append(c).append(next);
          }
          pos += 2;
          continue;
        }
        if (c == ',' || c == ' ') {
          break;
        }
        out.append(c);
        pos++;
      }
      if (out.length() == 0) {
        throw in.errorAt(from, "a measurement name");
      }
      checkPrintable(in, from, out.toString(), "the measurement name");
      return out.toString();
    }

    /**
     * A tag key, tag value or field key: up to an unescaped ',', ' ' or '='; {@code \,}, {@code \ }
     * and {@code \=} are escapes, any other backslash is kept.
     */
    String name(boolean key, String what) throws ParseException {
      int from = pos;
      StringBuilder out = new StringBuilder();
      while (!atEnd()) {
        char c = peek();
        if (c == '\\' && pos + 1 < text.length()) {
          char next = text.charAt(pos + 1);
          if (next == ',' || next == ' ' || next == '=') {
            out.append(next);
          } else {
            out.append(c).append(next);
          }
          pos += 2;
          continue;
        }
        if (c == ',' || c == ' ' || c == '=') {
          break;
        }
        out.append(c);
        pos++;
      }
      if (out.length() == 0) {
        throw in.errorAt(from, what);
      }
      if (key) {
        checkPrintable(in, from, out.toString(), what.substring(2));
      }
      return out.toString();
    }

    /**
     * A field value as written: a quoted string (kept quoted; {@code \"} and {@code \\} escape,
     * newlines allowed), or a number or boolean token checked against InfluxDB's grammar and
     * ranges.
     */
    String fieldValue(String key) throws ParseException {
      int from = pos;
      if (!atEnd() && peek() == '"') {
        pos++;
        while (true) {
          if (atEnd()) {
            throw in.errorAt(pos, "'\"' to end the string field");
          }
          char c = peek();
          pos++;
          if (c == '\\' && !atEnd() && (peek() == '"' || peek() == '\\')) {
            pos++;
          } else if (c == '"') {
            return text.substring(from, pos);
          }
        }
      }
      while (!atEnd() && peek() != ',' && peek() != ' ' && peek() != '\t') {
        pos++;
      }
      String value = text.substring(from, pos);
      String problem = checkValue(value);
      if (problem != null) {
        if (problem.isEmpty()) {
          throw in.tokenErrorAt(from, "a field value (number, 1i, 1u, true/false or \"string\")");
        }
        throw in.problemAt(from, "field " + key + ": " + problem);
      }
      return value;
    }
  }

  /** Null if the token is a valid number or boolean; "" if it is neither; else the range error. */
  private static String checkValue(String value) {
    switch (value) {
      case "t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE" -> {
        return null;
      }
      default -> {}
    }
    if (INTEGER.matcher(value).matches()) {
      try {
        Long.parseLong(value.substring(0, value.length() - 1));
        return null;
      } catch (NumberFormatException e) {
        return "integer " + value + " is out of range for a signed 64-bit integer";
      }
    }
    if (UNSIGNED.matcher(value).matches()) {
      if (value.startsWith("-")) {
        return "unsigned integer " + value + " is negative";
      }
      try {
        Long.parseUnsignedLong(value.substring(0, value.length() - 1));
        return null;
      } catch (NumberFormatException e) {
        return "unsigned integer " + value + " is out of range for an unsigned 64-bit integer";
      }
    }
    if (FLOAT.matcher(value).matches()) {
      return Double.isFinite(Double.parseDouble(value))
          ? null
          : "float " + value + " is out of range for a 64-bit float";
    }
    return "";
  }

  /** The number a checked field value stands for; null for strings. */
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
    if (value.endsWith("u")) {
      long bits = Long.parseUnsignedLong(value.substring(0, value.length() - 1));
      return bits >= 0 ? (double) bits : (double) (bits >>> 1) * 2.0 + (bits & 1);
    }
    if (value.endsWith("i")) {
      return (double) Long.parseLong(value.substring(0, value.length() - 1));
    }
    return Double.parseDouble(value);
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
