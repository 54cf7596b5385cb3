package dev.metricspipeline.formats.internal;

import dev.metricspipeline.formats.ParseException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * OpenMetrics 1.0 text, with the checks of the reference parser (the one the OpenMetrics test suite
 * was written against): metadata before samples and at most once, known types only ({@code
 * unknown}, not {@code untyped}), units that match the name, contiguous groups, timestamps that do
 * not go backwards within a group, counter-like values that are neither negative nor NaN, histogram
 * buckets in order with a {@code +Inf} bucket that matches {@code _count}, exemplars only on
 * buckets and counters and at most 128 characters of labels, and {@code # EOF} last.
 *
 * <p>A sample repeated with the same series and timestamp within its group is dropped and counted
 * (the format allows it when timestamps were truncated).
 */
public final class OpenMetricsParser {

  private static final Set<String> TYPES =
      Set.of(
          "counter",
          "gauge",
          "histogram",
          "gaugehistogram",
          "stateset",
          "info",
          "summary",
          "unknown");
  private static final Map<String, List<String>> SUFFIXES =
      Map.of(
          "counter", List.of("_total", "_created"),
          "summary", List.of("_count", "_sum", "_created", ""),
          "histogram", List.of("_count", "_sum", "_bucket", "_created"),
          "gaugehistogram", List.of("_gcount", "_gsum", "_bucket"),
          "info", List.of("_info"));

  /** Receives each family once it is complete. */
  public interface FamilySink {
    void family(String name, String type, List<ParsedLine> samples) throws ParseException;
  }

  private final FamilySink sink;
  private final Set<String> seenNames = new HashSet<>();

  // The family being read.
  private String name;
  private int nameLine;
  private String type;
  private String help;
  private String unit;
  private List<String> allowedNames = List.of();
  private List<ParsedLine> samples = new ArrayList<>();
  private Map<String, String> group;
  private BigDecimal groupTimestamp;
  private final Set<Map<String, String>> seenGroups = new HashSet<>();
  private final Set<List<Object>> groupTimestampSamples = new HashSet<>();
  private int duplicatesDropped;
  private int exemplars;

  public OpenMetricsParser(FamilySink sink) {
    this.sink = sink;
  }

  public int duplicatesDropped() {
    return duplicatesDropped;
  }

  public int exemplars() {
    return exemplars;
  }

  /** Parses the whole text. */
  public void parse(String text) throws ParseException {
    if (text.isEmpty()) {
      throw new ParseException(0, 0, "empty body: missing \"# EOF\" at the end");
    }
    String[] lines = text.split("\n", -1);
    int count = lines.length;
    // A trailing newline after "# EOF" leaves one empty string at the end.
    if (count > 0 && lines[count - 1].isEmpty() && count > 1) {
      count--;
    }
    boolean eof = false;
    for (int i = 0; i < count; i++) {
      String line = lines[i];
      int lineNo = i + 1;
      if (eof) {
        throw new ParseException(lineNo, 1, "text after # EOF");
      }
      if (line.equals("# EOF")) {
        eof = true;
      } else if (line.isEmpty()) {
        throw new ParseException(lineNo, 1, "blank line (OpenMetrics allows none)");
      } else if (line.startsWith("#")) {
        metadata(line, lineNo);
      } else {
        sample(line, lineNo);
      }
    }
    if (name != null) {
      finishFamily();
    }
    if (!eof) {
      throw new ParseException(count, 0, "missing \"# EOF\" at the end");
    }
  }

  private void metadata(String line, int lineNo) throws ParseException {
    String[] parts = line.split(" ", 4);
    if (parts.length < 4 || !parts[0].equals("#")) {
      throw new ParseException(
          lineNo,
          1,
          "expected \"# HELP name text\", \"# TYPE name type\", \"# UNIT name unit\" or \"# EOF\", got \""
              + line
              + "\"");
    }
    String candidate = parts[2];
    int nameColumn = parts[0].length() + parts[1].length() + 3;
    if (!LineScanner.isMetricName(candidate)) {
      throw new ParseException(
          lineNo, nameColumn, "expected metric name, got \"" + candidate + "\"");
    }
    if (candidate.equals(name) && !samples.isEmpty()) {
      throw new ParseException(lineNo, 1, parts[1] + " for " + name + " after its samples");
    }
    if (!candidate.equals(name)) {
      if (name != null) {
        finishFamily();
      }
      startFamily(candidate, null, lineNo);
    }
    String value = parts[3];
    switch (parts[1]) {
      case "HELP" -> {
        if (help != null) {
          throw new ParseException(lineNo, 1, "second HELP for " + name);
        }
        help = value;
      }
      case "TYPE" -> {
        if (type != null) {
          throw new ParseException(lineNo, 1, "second TYPE for " + name);
        }
        if (!TYPES.contains(value)) {
          throw new ParseException(
              lineNo,
              nameColumn + candidate.length() + 1,
              "expected a type ("
                  + String.join(", ", new java.util.TreeSet<>(TYPES))
                  + "), got \""
                  + value
                  + "\"");
        }
        type = value;
        allowedNames =
            SUFFIXES.getOrDefault(value, List.of("")).stream().map(s -> name + s).toList();
      }
      case "UNIT" -> {
        if (unit != null) {
          throw new ParseException(lineNo, 1, "second UNIT for " + name);
        }
        unit = value;
      }
      default ->
          throw new ParseException(
              lineNo, 3, "expected HELP, TYPE, UNIT or EOF, got \"" + parts[1] + "\"");
    }
  }

  private void startFamily(String familyName, String familyType, int lineNo) {
    name = familyName;
    nameLine = lineNo;
    type = familyType;
    help = null;
    unit = null;
    samples = new ArrayList<>();
    group = null;
    groupTimestamp = null;
    seenGroups.clear();
    groupTimestampSamples.clear();
    allowedNames = List.of(familyName);
  }

  private void sample(String line, int lineNo) throws ParseException {
    ParsedLine s = parseSampleLine(line, lineNo);
    if (!allowedNames.contains(s.name())) {
      if (name != null) {
        finishFamily();
      }
      startFamily(s.name(), "unknown", lineNo);
    }
    String typ = type == null ? "unknown" : type;
    if (typ.equals("stateset") && !s.labels().containsKey(name)) {
      throw new ParseException(lineNo, 1, "stateset sample without the label \"" + name + "\"");
    }
    if (s.name().equals(name + "_bucket")) {
      String le = s.labels().get("le");
      if (le == null || !canonicalBound(le)) {
        throw new ParseException(
            lineNo,
            1,
            "bucket needs an \"le\" label with a number (+Inf for infinity), got "
                + (le == null ? "none" : "\"" + le + "\""));
      }
      if (!Numbers.isIntegral(s.value())) {
        throw new ParseException(
            lineNo, 1, "bucket value must be an integer, got " + s.valueText());
      }
    }
    if ((s.name().equals(name + "_count") || s.name().equals(name + "_gcount"))
        && !Numbers.isIntegral(s.value())) {
      throw new ParseException(lineNo, 1, "count value must be an integer, got " + s.valueText());
    }
    if (typ.equals("summary") && s.name().equals(name)) {
      String q = s.labels().get("quantile");
      Double quantile = q == null ? null : Numbers.parseValue(q);
      if (quantile == null || !(quantile >= 0 && quantile <= 1) || !canonicalBound(q)) {
        throw new ParseException(
            lineNo,
            1,
            "summary quantile label must be a number from 0 to 1, got "
                + (q == null ? "none" : "\"" + q + "\""));
      }
    }
    Map<String, String> g = groupOf(s, typ);
    if (group != null && !g.equals(group) && seenGroups.contains(g)) {
      throw new ParseException(
          lineNo, 1, "samples of " + name + g + " are not contiguous (metric grouping)");
    }
    if (group != null && g.equals(group)) {
      if ((s.timestamp() == null) != (groupTimestamp == null)) {
        throw new ParseException(
            lineNo, 1, "some samples of a group have timestamps and some do not");
      }
      if (groupTimestamp != null
          && groupTimestamp.compareTo(s.timestamp()) > 0
          && !typ.equals("info")) {
        throw new ParseException(lineNo, 1, "timestamp went backwards within a group");
      }
    } else {
      groupTimestampSamples.clear();
    }
    List<Object> seriesId = List.of(s.name(), new TreeMap<>(s.labels()));
    if (!Objects.equals(s.timestamp(), groupTimestamp)
        || !groupTimestampSamples.contains(seriesId)) {
      samples.add(s);
    } else {
      duplicatesDropped++;
    }
    groupTimestampSamples.add(seriesId);
    group = g;
    groupTimestamp = s.timestamp();
    seenGroups.add(g);

    String suffix = s.name().substring(Math.min(name.length(), s.name().length()));
    if (typ.equals("stateset") && s.value() != 0 && s.value() != 1) {
      throw new ParseException(
          lineNo, 1, "stateset values can only be 0 or 1, got " + s.valueText());
    }
    if (typ.equals("info") && s.value() != 1) {
      throw new ParseException(lineNo, 1, "info values can only be 1, got " + s.valueText());
    }
    if (typ.equals("summary") && s.name().equals(name) && s.value() < 0) {
      throw new ParseException(
          lineNo, 1, "quantile values cannot be negative, got " + s.valueText());
    }
    boolean counterLike =
        List.of("_total", "_sum", "_count", "_bucket", "_gcount", "_gsum").contains(suffix);
    if (counterLike && Double.isNaN(s.value())) {
      throw new ParseException(lineNo, 1, "counter-like sample " + s.name() + " cannot be NaN");
    }
    if (counterLike && !suffix.equals("_gsum") && s.value() < 0) {
      throw new ParseException(
          lineNo,
          1,
          "counter-like sample " + s.name() + " cannot be negative, got " + s.valueText());
    }
    if (s.exemplar()) {
      boolean allowed =
          ((typ.equals("histogram") || typ.equals("gaugehistogram"))
                  && s.name().endsWith("_bucket"))
              || (typ.equals("counter") && s.name().endsWith("_total"));
      if (!allowed) {
        throw new ParseException(
            lineNo, 1, "only histogram buckets and counter totals can have exemplars");
      }
      exemplars++;
    }
  }

  private static boolean canonicalBound(String text) {
    Double v = Numbers.parseValue(text);
    if (v == null || Double.isNaN(v)) {
      return false;
    }
    if (Double.isInfinite(v)) {
      return text.equals("+Inf") || text.equals("-Inf");
    }
    return true;
  }

  private Map<String, String> groupOf(ParsedLine s, String typ) {
    Map<String, String> labels = new TreeMap<>(s.labels());
    switch (typ) {
      case "info" -> labels.clear();
      case "summary" -> {
        if (s.name().equals(name)) {
          labels.remove("quantile");
        }
      }
      case "stateset" -> labels.remove(name);
      case "histogram", "gaugehistogram" -> {
        if (s.name().equals(name + "_bucket")) {
          labels.remove("le");
        }
      }
      default -> {}
    }
    return labels;
  }

  private void finishFamily() throws ParseException {
    String typ = type == null ? "unknown" : type;
    Set<String> suffixes = new HashSet<>(SUFFIXES.getOrDefault(typ, List.of()));
    suffixes.add("");
    for (String suffix : suffixes) {
      if (!seenNames.add(name + suffix)) {
        throw new ParseException(
            nameLine, 1, "metric name " + name + suffix + " clashes with an earlier family");
      }
    }
    if (unit != null && !unit.isEmpty()) {
      if (!name.endsWith("_" + unit)) {
        throw new ParseException(
            nameLine, 1, "unit \"" + unit + "\" does not match the metric name " + name);
      }
      if (typ.equals("info") || typ.equals("stateset")) {
        throw new ParseException(nameLine, 1, "an " + typ + " cannot have a unit");
      }
    }
    if (typ.equals("histogram") || typ.equals("gaugehistogram")) {
      checkHistogram();
    }
    sink.family(name, typ, samples);
  }

  private void checkHistogram() throws ParseException {
    HistogramGroup current = null;
    for (ParsedLine s : samples) {
      String suffix = s.name().substring(name.length());
      if (suffix.isEmpty()) {
        continue;
      }
      Map<String, String> g = groupOf(s, "histogram");
      if (current == null
          || !g.equals(current.group)
          || !Objects.equals(s.timestamp(), current.timestamp)) {
        if (current != null) {
          current.check();
        }
        current = new HistogramGroup(g, s.timestamp(), s.line());
      }
      switch (suffix) {
        case "_bucket" -> {
          double bound = Numbers.parseValue(s.labels().get("le"));
          if (bound < 0) {
            current.negativeBuckets = true;
          }
          if (current.bucket != null && bound <= current.bucket) {
            throw new ParseException(
                s.line(),
                1,
                "histogram buckets out of order: le="
                    + s.labels().get("le")
                    + " after le="
                    + current.bucket);
          }
          if (s.value() < current.value) {
            throw new ParseException(s.line(), 1, "histogram bucket counts must not decrease");
          }
          current.bucket = bound;
          current.value = s.value();
        }
        case "_count", "_gcount" -> current.count = s.value();
        case "_sum" -> current.sum = true;
        case "_gsum" -> {
          current.gsum = true;
          if (s.value() < 0) {
            current.negativeGsum = true;
          }
        }
        default -> {}
      }
    }
    if (current != null) {
      current.check();
    }
  }

  private final class HistogramGroup {
    final Map<String, String> group;
    final BigDecimal timestamp;
    final int line;
    Double count;
    Double bucket;
    boolean negativeBuckets;
    boolean sum;
    boolean gsum;
    boolean negativeGsum;
    double value;

    HistogramGroup(Map<String, String> group, BigDecimal timestamp, int line) {
      this.group = group;
      this.timestamp = timestamp;
      this.line = line;
    }

    void check() throws ParseException {
      String where = name + (group.isEmpty() ? "" : group.toString());
      if (bucket == null || bucket != Double.POSITIVE_INFINITY) {
        throw new ParseException(line, 0, "histogram " + where + " has no +Inf bucket");
      }
      if (count != null && value != count) {
        throw new ParseException(
            line, 0, "histogram " + where + ": _count does not match the +Inf bucket");
      }
      if (sum && count == null) {
        throw new ParseException(line, 0, "histogram " + where + ": _sum without _count");
      }
      if (gsum && count == null) {
        throw new ParseException(line, 0, "gauge histogram " + where + ": _gsum without _gcount");
      }
      if (!(sum || gsum) && count != null) {
        throw new ParseException(line, 0, "histogram " + where + ": _count without _sum");
      }
      if (negativeBuckets && sum) {
        throw new ParseException(line, 0, "histogram " + where + ": _sum with negative buckets");
      }
      if (!negativeBuckets && negativeGsum) {
        throw new ParseException(
            line, 0, "gauge histogram " + where + ": negative _gsum without negative buckets");
      }
    }
  }

  /**
   * One OpenMetrics sample line: strict single blanks, optional timestamp (seconds) and exemplar.
   */
  static ParsedLine parseSampleLine(String line, int lineNo) throws ParseException {
    LineScanner in = new LineScanner(line, lineNo);
    String metric = in.metricName();
    Map<String, String> labels = in.consume('{') ? in.labels(false) : Map.of();
    in.expect(' ', "' ' before the value");
    int valueAt = in.pos();
    String valueText = in.token(false);
    Double value = Numbers.parseValue(valueText);
    if (value == null) {
      throw in.tokenErrorAt(valueAt, "a number (or NaN, +Inf, -Inf) as the value");
    }
    BigDecimal timestamp = null;
    boolean exemplar = false;
    if (!in.atEnd()) {
      in.expect(' ', "' '");
      if (in.atEnd()) {
        throw in.error("a timestamp or an exemplar after the blank");
      }
      if (in.peek() != '#') {
        int tsAt = in.pos();
        String ts = in.token(false);
        if (!Numbers.isDecimal(ts)) {
          throw in.tokenErrorAt(tsAt, "a timestamp in seconds");
        }
        timestamp = new BigDecimal(ts);
        if (!in.atEnd()) {
          in.expect(' ', "' '");
        }
      }
      if (!in.atEnd()) {
        exemplar(in);
        exemplar = true;
      }
    }
    return new ParsedLine(lineNo, metric, labels, value, valueText, timestamp, exemplar);
  }

  private static void exemplar(LineScanner in) throws ParseException {
    in.expect('#', "'#' to start an exemplar");
    in.expect(' ', "' ' after '#'");
    int labelsAt = in.pos();
    in.expect('{', "'{' to start the exemplar's labels");
    Map<String, String> labels = in.labels(false);
    int length = 0;
    for (Map.Entry<String, String> e : labels.entrySet()) {
      length += e.getKey().codePointCount(0, e.getKey().length());
      length += e.getValue().codePointCount(0, e.getValue().length());
    }
    if (length > 128) {
      throw in.problemAt(
          labelsAt, "exemplar labels are " + length + " characters long; at most 128 are allowed");
    }
    in.expect(' ', "' ' before the exemplar value");
    int valueAt = in.pos();
    String value = in.token(false);
    if (Numbers.parseValue(value) == null) {
      throw in.tokenErrorAt(valueAt, "a number as the exemplar value");
    }
    if (in.atEnd()) {
      return;
    }
    in.expect(' ', "' '");
    int tsAt = in.pos();
    String ts = in.token(false);
    if (!Numbers.isDecimal(ts)) {
      throw in.tokenErrorAt(tsAt, "a timestamp in seconds for the exemplar");
    }
    if (!in.atEnd()) {
      throw in.error("end of line after the exemplar");
    }
  }
}
