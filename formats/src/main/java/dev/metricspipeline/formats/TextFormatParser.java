package dev.metricspipeline.formats;

import dev.metricspipeline.formats.internal.FrozenLabels;
import dev.metricspipeline.formats.internal.Numbers;
import dev.metricspipeline.formats.internal.OpenMetricsParser;
import dev.metricspipeline.formats.internal.ParsedLine;
import dev.metricspipeline.formats.internal.PrometheusTextParser;
import dev.metricspipeline.formats.internal.SeriesTexts;
import dev.metricspipeline.schemas.avro.SampleType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses the Prometheus text exposition formats into {@link ParsedSample}s: the classic text format
 * 0.0.4 ({@link #prometheus()}) and OpenMetrics 1.0 ({@link #openMetrics()}), chosen by content
 * type with {@link #forContentType(String)}.
 *
 * <p>Each sample gets its {@link SampleType} from the family's {@code # TYPE} (and the suffix for
 * histogram and summary parts), its labels sorted, and its timestamp converted to milliseconds
 * (OpenMetrics writes seconds; a timestamp beyond the range of a long is clamped). Samples without
 * a timestamp get the caller's default. Origin is left {@code UNKNOWN} for the caller to set.
 *
 * <p>Exemplars are parsed and checked, then dropped: the count is in {@link
 * ParseResult#exemplarsDropped()}. The body must be UTF-8.
 */
public final class TextFormatParser implements MetricsParser {

  /** The two dialects. */
  public enum Dialect {
    PROMETHEUS_TEXT_0_0_4,
    OPENMETRICS_1_0
  }

  private static final TextFormatParser PROMETHEUS =
      new TextFormatParser(Dialect.PROMETHEUS_TEXT_0_0_4);
  private static final TextFormatParser OPENMETRICS = new TextFormatParser(Dialect.OPENMETRICS_1_0);

  private final Dialect dialect;

  private TextFormatParser(Dialect dialect) {
    this.dialect = dialect;
  }

  public static TextFormatParser prometheus() {
    return PROMETHEUS;
  }

  public static TextFormatParser openMetrics() {
    return OPENMETRICS;
  }

  /**
   * OpenMetrics for {@code application/openmetrics-text}, the Prometheus text format for anything
   * else (the Pushgateway accepts any content type as text, curl's form type included).
   */
  public static TextFormatParser forContentType(String contentType) {
    if (contentType != null
        && contentType.toLowerCase(Locale.ROOT).trim().startsWith("application/openmetrics-text")) {
      return OPENMETRICS;
    }
    return PROMETHEUS;
  }

  public Dialect dialect() {
    return dialect;
  }

  @Override
  public ParseResult parse(byte[] body, long defaultTimestampMs) throws ParseException {
    return parse(body, defaultTimestampMs, null);
  }

  /**
   * Parses a body of a source whose bodies repeat their series (a scrape target's), with that
   * source's cache: the same samples as {@link #parse(byte[], long)}, but a series already in the
   * source's last body is not parsed again. The Prometheus text dialect uses it; OpenMetrics
   * ignores it.
   *
   * @param body the body; the cache keeps this array (until a later body parses whole), so the
   *     caller must not change it afterwards
   * @param cache the source's cache, or null
   */
  public ParseResult parse(byte[] body, long defaultTimestampMs, SeriesTextCache cache)
      throws ParseException {
    String text = utf8(body);
    // As many chars as bytes means every byte was ASCII: then the cache compares bytes.
    SeriesTexts.Parse texts =
        cache == null || dialect == Dialect.OPENMETRICS_1_0
            ? null
            : cache.texts.begin(text, text.length() == body.length ? body : null);
    // Sized for the source's last body, so a body like it fills them without growing them.
    int expected = texts == null ? 16 : Math.max(16, texts.lastSize());
    List<ParsedSample> out = new ArrayList<>(expected);
    List<String> families = new ArrayList<>(expected);
    if (dialect == Dialect.OPENMETRICS_1_0) {
      OpenMetricsParser parser =
          new OpenMetricsParser(
              (family, type, lines) -> {
                for (ParsedLine line : lines) {
                  families.add(family);
                  out.add(
                      sample(
                          line,
                          openMetricsType(family, type, line.name()),
                          secondsToMillis(line.timestamp()),
                          defaultTimestampMs));
                }
              });
      parser.parse(text);
      return new ParseResult(out, families, parser.exemplars(), parser.duplicatesDropped());
    }
    new PrometheusTextParser(
            (line, family, type) -> {
              families.add(family);
              out.add(
                  sample(
                      line,
                      prometheusType(family, type, line.name()),
                      line.timestamp() == null ? null : line.timestamp().longValueExact(),
                      defaultTimestampMs));
            },
            texts)
        .parse(text);
    return new ParseResult(out, families, 0, 0);
  }

  private static ParsedSample sample(
      ParsedLine line, SampleType type, Long timestampMs, long defaultTimestampMs) {
    // ParsedSample sorts and copies the labels; copy here only when a bound is rewritten (the
    // line's own map is the text parser's duplicate-series key and must not change).
    Map<String, String> labels = line.labels();
    String bound = boundLabel(type);
    if (bound != null && labels.containsKey(bound)) {
      if (labels instanceof FrozenLabels frozen) {
        labels = frozen.withBound(bound); // from the parse cache: the same set every body
      } else {
        labels = new TreeMap<>(labels);
        normalizeBound(labels, type);
      }
    }
    return new ParsedSample(
        line.name(),
        labels,
        type,
        line.value(),
        timestampMs == null ? defaultTimestampMs : timestampMs);
  }

  private static final BigDecimal MIN_MS = new BigDecimal(Long.MIN_VALUE);
  private static final BigDecimal MAX_MS = new BigDecimal(Long.MAX_VALUE);

  private static Long secondsToMillis(BigDecimal seconds) {
    if (seconds == null) {
      return null;
    }
    BigDecimal ms = seconds.movePointRight(3).setScale(0, RoundingMode.FLOOR);
    if (ms.compareTo(MAX_MS) > 0) {
      return Long.MAX_VALUE;
    }
    if (ms.compareTo(MIN_MS) < 0) {
      return Long.MIN_VALUE;
    }
    BigInteger exact = ms.toBigIntegerExact();
    return exact.longValue();
  }

  /** Writes {@code le} and {@code quantile} the way Prometheus does ({@link Numbers#boundText}). */
  static void normalizeBound(Map<String, String> labels, SampleType type) {
    String label = boundLabel(type);
    if (label != null && labels.containsKey(label)) {
      String written = Numbers.boundText(labels.get(label));
      if (written != null) {
        labels.put(label, written);
      }
    }
  }

  /** The label holding a bound for this type ({@code le}, {@code quantile}), or null. */
  static String boundLabel(SampleType type) {
    return switch (type) {
      case HISTOGRAM_BUCKET, GAUGE_HISTOGRAM_BUCKET -> "le";
      case SUMMARY_QUANTILE -> "quantile";
      default -> null;
    };
  }

  static SampleType openMetricsType(String family, String type, String sampleName) {
    String suffix = sampleName.substring(Math.min(family.length(), sampleName.length()));
    return switch (type) {
      case "counter" -> suffix.equals("_created") ? SampleType.CREATED : SampleType.COUNTER;
      case "gauge" -> SampleType.GAUGE;
      case "histogram" ->
          switch (suffix) {
            case "_bucket" -> SampleType.HISTOGRAM_BUCKET;
            case "_sum" -> SampleType.HISTOGRAM_SUM;
            case "_count" -> SampleType.HISTOGRAM_COUNT;
            default -> SampleType.CREATED;
          };
      case "gaugehistogram" ->
          switch (suffix) {
            case "_bucket" -> SampleType.GAUGE_HISTOGRAM_BUCKET;
            case "_gsum" -> SampleType.GAUGE_HISTOGRAM_GSUM;
            default -> SampleType.GAUGE_HISTOGRAM_GCOUNT;
          };
      case "summary" ->
          switch (suffix) {
            case "_sum" -> SampleType.SUMMARY_SUM;
            case "_count" -> SampleType.SUMMARY_COUNT;
            case "_created" -> SampleType.CREATED;
            default -> SampleType.SUMMARY_QUANTILE;
          };
      case "info" -> SampleType.INFO;
      case "stateset" -> SampleType.STATESET;
      default -> SampleType.UNTYPED;
    };
  }

  static SampleType prometheusType(String family, String type, String sampleName) {
    String suffix = sampleName.substring(Math.min(family.length(), sampleName.length()));
    return switch (type) {
      case "counter" -> SampleType.COUNTER;
      case "gauge" -> SampleType.GAUGE;
      case "histogram" ->
          switch (suffix) {
            case "_bucket" -> SampleType.HISTOGRAM_BUCKET;
            case "_sum" -> SampleType.HISTOGRAM_SUM;
            default -> SampleType.HISTOGRAM_COUNT;
          };
      case "summary" ->
          switch (suffix) {
            case "_sum" -> SampleType.SUMMARY_SUM;
            case "_count" -> SampleType.SUMMARY_COUNT;
            default -> SampleType.SUMMARY_QUANTILE;
          };
      default -> SampleType.UNTYPED;
    };
  }

  /**
   * The body as text, refusing malformed UTF-8. The JDK's own decoding takes an ASCII body (the
   * usual one) as one vectorized check and copy; it replaces malformed input with U+FFFD, so only a
   * body whose text holds one is decoded again, strictly, to tell a real U+FFFD from an error.
   */
  private static String utf8(byte[] body) throws ParseException {
    String text = new String(body, StandardCharsets.UTF_8);
    if (text.indexOf('\uFFFD') >= 0) {
      strictUtf8(body);
    }
    return text;
  }

  private static void strictUtf8(byte[] body) throws ParseException {
    ByteBuffer in = ByteBuffer.wrap(body);
    CharBuffer out = CharBuffer.allocate(body.length);
    CoderResult result =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(in, out, true);
    if (result.isError()) {
      int offset = in.position();
      int line = 1;
      for (int i = 0; i < offset; i++) {
        if (body[i] == '\n') {
          line++;
        }
      }
      throw new ParseException(line, 0, "invalid UTF-8 at byte offset " + offset);
    }
  }
}
