package dev.metricspipeline.formats.internal;

import dev.metricspipeline.formats.ParseException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Prometheus text format 0.0.4, as the Pushgateway and Prometheus accept it: blank lines and
 * free comments allowed, runs of blanks or tabs between tokens, optional trailing comma in labels,
 * timestamps in integer milliseconds, {@code # HELP} and {@code # TYPE} at most once per metric and
 * before its samples. A sample repeated with the same series and timestamp is refused (the
 * Pushgateway answers such a push with 400).
 */
public final class PrometheusTextParser {

  private static final List<String> TYPES =
      List.of("counter", "gauge", "histogram", "summary", "untyped");

  /** Receives each sample with its family name and type. */
  public interface SampleSink {
    void sample(ParsedLine line, String family, String type) throws ParseException;
  }

  private final SampleSink sink;
  private final SeriesTexts.Parse texts;
  private final Map<String, String> types;
  private final Set<String> helps;
  private final Set<String> familiesWithSamples;
  private final Map<List<Object>, Integer> seenSeries;
  // While true, every sample so far was a line without a timestamp found in place among the last
  // body's texts, whose series were all different (SeriesTexts.Parse.inPlaceDistinct): no two of
  // them can be the same series, so they skip seenSeries (a List and a hash of its labels each)
  // and wait in `unindexed`. The first sample that is not such a line puts them all in seenSeries
  // and ends this for the rest of the body.
  private boolean inPlaceRun;
  private final List<ParsedLine> unindexed;
  // Whether a sample had a timestamp: then the body's series may repeat (one per timestamp).
  private boolean timestamped;
  // The last sample's name and what familyOf made of it: consecutive samples of one metric are
  // the rule (a node_exporter page has 16 node_cpu_seconds_total lines in a row). Forgotten at
  // each TYPE line, which can change a name's family.
  private String lastName;
  private String[] lastFamily;

  public PrometheusTextParser(SampleSink sink) {
    this(sink, null);
  }

  /**
   * @param texts the series texts of the source's last body, or null: a sample line whose series
   *     text is among them gets that series' name and labels (a {@link FrozenLabels}) without its
   *     labels being parsed again; this body's texts replace them if it parses whole
   */
  public PrometheusTextParser(SampleSink sink, SeriesTexts.Parse texts) {
    this.sink = sink;
    this.texts = texts;
    // Sized for the last body's samples, so a body like it fills them without growing them.
    int samples = texts == null ? 16 : Math.max(16, texts.lastSize());
    this.seenSeries = new HashMap<>(samples * 4 / 3 + 1);
    this.types = new HashMap<>(samples / 2);
    this.helps = new HashSet<>(samples / 2);
    this.familiesWithSamples = new HashSet<>(samples / 2);
    this.inPlaceRun = texts != null;
    this.unindexed = texts == null ? List.of() : new ArrayList<>(samples);
  }

  public void parse(String text) throws ParseException {
    // One scanner walks the body line by line in place: no line is copied out of it.
    LineScanner in = new LineScanner(text, 0, 0, 0);
    int lineNo = 0;
    for (int from = 0; from <= text.length(); ) {
      lineNo++;
      int newline = text.indexOf('\n', from);
      int to = newline < 0 ? text.length() : newline;
      in.reset(from, to > from && text.charAt(to - 1) == '\r' ? to - 1 : to, lineNo);
      in.skipBlanks();
      if (!in.atEnd()) {
        if (in.peek() == '#') {
          comment(in);
        } else {
          sample(in);
        }
      }
      if (newline < 0) {
        break;
      }
      from = newline + 1;
    }
    if (texts != null) {
      // Parsed whole: no series with two samples without a timestamp, so without any timestamp
      // every series occurred once.
      texts.commit(!timestamped);
    }
  }

  private void comment(LineScanner in) throws ParseException {
    in.expect('#', "'#'");
    in.skipBlanks();
    String keyword = in.word("HELP") ? "HELP" : in.word("TYPE") ? "TYPE" : null;
    if (keyword == null) {
      return; // a free comment
    }
    in.seek(in.pos() + keyword.length());
    if (in.atEnd()) {
      throw in.error("a blank and a metric name after " + keyword);
    }
    in.skipBlanks();
    String name = texts != null ? texts.commentName(in) : in.metricName();
    if (keyword.equals("HELP")) {
      if (!in.atEnd() && in.peek() != ' ' && in.peek() != '\t') {
        throw in.error("a blank after the metric name");
      }
      if (!helps.add(name)) {
        throw new ParseException(in.line(), 0, "second HELP line for metric " + name);
      }
      return;
    }
    if (in.atEnd()) {
      throw in.error("a type after the metric name");
    }
    in.expect(in.peek() == '\t' ? '\t' : ' ', "a blank after the metric name");
    in.skipBlanks();
    int typeAt = in.pos();
    String type = in.oneOf(TYPES);
    if (type == null) {
      throw in.tokenErrorAt(typeAt, "a type (counter, gauge, histogram, summary, untyped)");
    }
    in.skipBlanks();
    if (!in.atEnd()) {
      throw in.error("end of line after the type");
    }
    if (types.containsKey(name)) {
      throw new ParseException(in.line(), 0, "second TYPE line for metric " + name);
    }
    if (familiesWithSamples.contains(name)) {
      throw new ParseException(in.line(), 0, "TYPE line for metric " + name + " after its samples");
    }
    types.put(name, type);
    lastName = null;
  }

  private void sample(LineScanner in) throws ParseException {
    int nameAt = in.pos();
    int textEnd = -1;
    SeriesTexts.Series known = null;
    if (texts != null) {
      textEnd = in.seriesEnd();
      if (textEnd > 0) {
        known = texts.get(nameAt, textEnd);
      }
    }
    String name;
    Map<String, String> labels = Map.of();
    if (known != null) {
      in.skipMetricName();
      name = known.name();
      labels = known.labels();
    } else {
      name = in.metricName();
      if (name.equals(lastName)) {
        name = lastName; // one object for a run of one metric's series, in the texts kept too
      }
    }
    // Checked on a hit too: the character after a name without labels is not part of its text.
    if (!in.atEnd() && in.peek() != ' ' && in.peek() != '\t' && in.peek() != '{') {
      throw in.error("a blank or '{' after the metric name");
    }
    in.skipBlanks();
    if (in.consume('{')) {
      if (known != null) {
        in.seek(textEnd);
      } else {
        labels = in.labels(true);
      }
      in.skipBlanks();
    }
    if (textEnd > 0 && known == null) {
      FrozenLabels frozen = FrozenLabels.of(labels);
      texts.put(new SeriesTexts.Series(name, frozen));
      labels = frozen;
    }
    int valueAt = in.pos();
    String valueText = in.token(true);
    Double value = Numbers.parseValue(valueText);
    if (value == null) {
      throw in.tokenErrorAt(valueAt, "a number (or NaN, +Inf, -Inf) as the value");
    }
    in.skipBlanks();
    BigDecimal timestamp = null;
    if (!in.atEnd()) {
      int tsAt = in.pos();
      String ts = in.token(true);
      if (!Numbers.isInteger(ts)) {
        throw in.tokenErrorAt(tsAt, "a timestamp in milliseconds (an integer)");
      }
      timestamp = new BigDecimal(ts);
      if (timestamp.toBigInteger().bitLength() > 63) {
        throw in.problemAt(tsAt, "timestamp " + ts + " is out of range");
      }
      in.skipBlanks();
      if (!in.atEnd()) {
        throw in.error("end of line after the timestamp");
      }
    }
    ParsedLine line = new ParsedLine(in.line(), name, labels, value, valueText, timestamp, false);
    String[] family;
    if (name.equals(lastName)) {
      family = lastFamily;
    } else {
      family = familyOf(name);
      if (lastFamily == null || !family[0].equals(lastFamily[0])) {
        familiesWithSamples.add(family[0]);
      }
      lastName = name;
      lastFamily = family;
    }
    check(line, family[0], family[1], nameAt, in);
    timestamped |= timestamp != null;
    if (inPlaceRun) {
      if (known != null && timestamp == null && texts.inPlaceDistinct()) {
        unindexed.add(line);
        sink.sample(line, family[0], family[1]);
        return;
      }
      inPlaceRun = false;
      for (ParsedLine earlier : unindexed) {
        seenSeries.put(List.of(earlier.name(), earlier.labels(), ""), earlier.line());
      }
    }
    // Map equality and hash ignore order, so the labels as written are the key; nothing changes
    // them after this (the line's consumer copies before it rewrites a bound).
    Integer earlier =
        seenSeries.putIfAbsent(
            List.of(name, labels, timestamp == null ? "" : timestamp), in.line());
    if (earlier != null) {
      // Sorted, as a series is named elsewhere: the labels as written or as cached read the same.
      throw in.problemAt(
          nameAt,
          "duplicate sample for "
              + name
              + new java.util.TreeMap<>(labels)
              + " (first on line "
              + earlier
              + ")");
    }
    sink.sample(line, family[0], family[1]);
  }

  private String[] familyOf(String name) {
    String type = types.get(name);
    if (type != null) {
      return new String[] {name, type};
    }
    for (String suffix : List.of("_bucket", "_sum", "_count")) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String baseType = types.get(base);
        if ("histogram".equals(baseType)
            || ("summary".equals(baseType) && !suffix.equals("_bucket"))) {
          return new String[] {base, baseType};
        }
      }
    }
    return new String[] {name, "untyped"};
  }

  private static void check(ParsedLine line, String family, String type, int nameAt, LineScanner in)
      throws ParseException {
    if (type.equals("histogram")) {
      if (line.name().equals(family)) {
        throw in.problemAt(
            nameAt, "histogram " + family + " has a sample without _bucket, _sum or _count");
      }
      if (line.name().endsWith("_bucket")) {
        String le = line.labels().get("le");
        Double bound = le == null ? null : Numbers.parseValue(le);
        if (bound == null || bound.isNaN()) {
          throw in.problemAt(
              nameAt, "histogram bucket " + line.name() + " needs an \"le\" label with a number");
        }
      }
    }
    if (type.equals("summary") && line.name().equals(family)) {
      String q = line.labels().get("quantile");
      Double quantile = q == null ? null : Numbers.parseValue(q);
      if (quantile == null || quantile.isNaN()) {
        throw in.problemAt(
            nameAt, "summary " + family + " sample needs a \"quantile\" label with a number");
      }
    }
  }
}
