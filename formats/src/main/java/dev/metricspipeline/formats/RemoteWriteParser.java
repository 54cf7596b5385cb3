package dev.metricspipeline.formats;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.metricspipeline.formats.internal.LineScanner;
import dev.metricspipeline.formats.proto.remote.Remote.MetricMetadata;
import dev.metricspipeline.formats.proto.remote.v2.RemoteV2;
import dev.metricspipeline.formats.proto.remote.v2.RemoteV2.Request;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.xerial.snappy.Snappy;

/**
 * Prometheus remote_write 1.0: a snappy block-compressed {@code WriteRequest}. Every sample of
 * every series becomes a {@link ParsedSample} with the series' labels ({@code __name__} as the
 * name). Types come from metadata (the request's own, or remembered from earlier requests: see
 * {@link #parse(byte[], long, Function)}), by family name and the histogram/summary suffixes, else
 * from the naming conventions.
 *
 * <p>The decompressed size that the snappy header declares is checked against the limit before any
 * buffer is allocated, so a small body claiming gigabytes (a snappy bomb) costs nothing. Native
 * histograms and exemplars are dropped and counted in {@link ParseResult#exemplarsDropped()} (both
 * together; native histograms are rare in remote_write 1.0). A 1.0 request is read off its wire
 * bytes without message objects, its series looked up in a {@link RemoteWriteSeriesCache} when one
 * is given; 2.0 requests are read with the generated classes.
 */
public final class RemoteWriteParser implements MetricsParser {

  private final long maxDecompressedBytes;
  private final RemoteWriteSeriesCache cache;

  /** A parser that decodes every series of every request (for one-off bodies and tests). */
  public RemoteWriteParser(long maxDecompressedBytes) {
    this(maxDecompressedBytes, null);
  }

  /**
   * A parser that looks remote_write 1.0 series up in {@code cache} by their label bytes before
   * decoding them (the samples are the same either way). Parsers are cheap: make one per request
   * and share the cache among them.
   *
   * @param cache series remembered across requests, or null for none
   */
  public RemoteWriteParser(long maxDecompressedBytes, RemoteWriteSeriesCache cache) {
    this.maxDecompressedBytes = maxDecompressedBytes;
    this.cache = cache;
  }

  /**
   * What {@link #parse(byte[], long, Function)} made of one request.
   *
   * @param parsed the samples and their families
   * @param metadata the request's own metadata entries, to remember for later requests
   * @param typedByName samples of families without known metadata typed by the naming conventions
   * @param series aligned with the samples: each sample's series encoded for the samples topic
   *     where the parser's cache keeps encodings and holds the series ({@link
   *     RemoteWriteSeriesCache#RemoteWriteSeriesCache(int,
   *     dev.metricspipeline.schemas.SeriesKey)}), else null
   */
  public record Typed(
      ParseResult parsed,
      List<MetricMetadata> metadata,
      int typedByName,
      List<EncodedSeries> series) {
    public Typed {
      metadata = List.copyOf(metadata);
      series = Collections.unmodifiableList(series);
      if (series.size() != parsed.samples().size()) {
        throw new IllegalArgumentException(
            series.size() + " series for " + parsed.samples().size() + " samples");
      }
    }

    /** A result without encoded series. */
    public Typed(ParseResult parsed, List<MetricMetadata> metadata, int typedByName) {
      this(parsed, metadata, typedByName, Collections.nCopies(parsed.samples().size(), null));
    }
  }

  /**
   * Parses a snappy-compressed WriteRequest, typing samples from the request's own metadata only
   * (else by the naming conventions, see {@link #parse(byte[], long, Function)}).
   *
   * @throws LimitExceededException if the declared decompressed size is over the limit
   * @throws ParseException if the body is not snappy, not a WriteRequest, or has a bad series
   */
  @Override
  public ParseResult parse(byte[] body, long defaultTimestampMs) throws ParseException {
    return parse(body, defaultTimestampMs, family -> null).parsed();
  }

  /**
   * Parses a snappy-compressed WriteRequest. A sample's type comes from the request's metadata for
   * its family, else from {@code known} (metadata remembered from earlier requests: Prometheus
   * sends metadata in requests of its own, every minute), else from the naming conventions: {@code
   * _total} a counter, {@code _bucket} with an {@code le} label a histogram bucket, {@code _count}
   * and {@code _sum} a histogram's when the request has the family's buckets, else a summary's (all
   * counters, so their rollups get an {@code increase}); anything else is {@code UNTYPED}.
   *
   * @param known the metric type of a family name, or null when unknown
   * @throws LimitExceededException if the declared decompressed size is over the limit
   * @throws ParseException if the body is not snappy, not a WriteRequest, or has a bad series
   */
  public Typed parse(
      byte[] body, long defaultTimestampMs, Function<String, MetricMetadata.MetricType> known)
      throws ParseException {
    WriteRequestReader request = WriteRequestReader.read(uncompress(body), cache);
    Map<String, MetricMetadata.MetricType> types = new HashMap<>();
    for (MetricMetadata m : request.metadata) {
      types.put(m.getMetricFamilyName(), m.getType());
    }
    Function<String, MetricMetadata.MetricType> lookup =
        family -> {
          MetricMetadata.MetricType own = types.isEmpty() ? null : types.get(family);
          MetricMetadata.MetricType type = own != null ? own : known.apply(family);
          // "unknown" says as little as no metadata: the naming conventions may still type it.
          return type == MetricMetadata.MetricType.UNKNOWN ? null : type;
        };
    // The request's metric names, collected only if a _count or _sum is typed by name.
    Predicate<String> present =
        new Predicate<>() {
          private Set<String> names;

          @Override
          public boolean test(String name) {
            if (names == null) {
              names = new HashSet<>();
              for (int i = 0; i < request.seriesCount; i++) {
                names.add(request.series[i].name);
              }
            }
            return names.contains(name);
          }
        };
    List<ParsedSample> samples = new ArrayList<>(request.sampleCount);
    List<String> families = new ArrayList<>(request.sampleCount);
    List<EncodedSeries> encoded = new ArrayList<>(request.sampleCount);
    SeriesKey ids = cache == null ? null : cache.ids();
    int byName = 0;
    int from = 0;
    // A series is typed from its name, and for a _bucket whether it has an "le" label, alone.
    // Senders write a metric's series one after another (a histogram's buckets, a counter per
    // CPU), so the last typing is reused while both are the same: within one request, so with
    // the same metadata.
    String lastName = null;
    boolean lastLe = false;
    Typing typing = null;
    for (int i = 0; i < request.seriesCount; i++) {
      RemoteWriteSeriesCache.Series series = request.series[i];
      int to = request.samplesEnd[i];
      boolean le = series.name.endsWith("_bucket") && series.labels.containsKey("le");
      if (!series.name.equals(lastName) || le != lastLe) {
        typing = typing(series.name, series.labels, lookup, present);
        lastName = series.name;
        lastLe = le;
      }
      if (typing.byName()) {
        byName += to - from;
      }
      Map<String, String> labels = series.labelsFor(typing.type());
      EncodedSeries seriesEncoded =
          ids != null && series.kept() ? series.encodedFor(typing.type(), ids) : null;
      for (int s = from; s < to; s++) {
        samples.add(
            new ParsedSample(
                series.name, labels, typing.type(), request.values[s], request.timestamps[s]));
        families.add(typing.family());
        encoded.add(seriesEncoded);
      }
      from = to;
    }
    return new Typed(
        new ParseResult(samples, families, request.dropped, 0), request.metadata, byName, encoded);
  }

  /**
   * What one remote_write 2.0 request became.
   *
   * @param typed the samples, typed from each series' own metadata (else as in 1.0)
   * @param histogramsDropped native histograms received and not kept
   * @param exemplarsDropped exemplars received and not kept
   */
  public record V2(Typed typed, int histogramsDropped, int exemplarsDropped) {}

  /**
   * Parses a snappy-compressed remote_write 2.0 {@code io.prometheus.write.v2.Request}: labels and
   * metadata strings are references into its symbol table, checked to be in range. A series' type
   * comes from its own metadata, by the part its name is (e.g. {@code _bucket} of a {@code
   * HISTOGRAM}); a series without metadata is typed as in {@link #parse(byte[], long, Function)}.
   * Created timestamps are read and not kept (the rollups find counter resets from the values).
   * Native histograms and exemplars are dropped and counted.
   */
  public V2 parseV2(
      byte[] body, long defaultTimestampMs, Function<String, MetricMetadata.MetricType> known)
      throws ParseException {
    Request request;
    try {
      request = Request.parseFrom(uncompress(body));
    } catch (InvalidProtocolBufferException e) {
      throw new ParseException(
          0,
          0,
          "the body is not a remote_write 2.0 io.prometheus.write.v2.Request: " + e.getMessage());
    }
    List<String> symbols = request.getSymbolsList();
    Set<String> names = new HashSet<>();
    List<ParsedSample> samples = new ArrayList<>();
    List<String> families = new ArrayList<>();
    List<MetricMetadata> metadata = new ArrayList<>();
    List<TreeMap<String, String>> labelsOf = new ArrayList<>();
    List<String> nameOf = new ArrayList<>();
    for (int i = 0; i < request.getTimeseriesCount(); i++) {
      RemoteV2.TimeSeries series = request.getTimeseries(i);
      if (series.getLabelsRefsCount() % 2 != 0) {
        throw new ParseException(0, 0, "series " + (i + 1) + ": an odd number of label references");
      }
      TreeMap<String, String> labels = new TreeMap<>();
      String name = null;
      for (int r = 0; r < series.getLabelsRefsCount(); r += 2) {
        String labelName = symbol(symbols, series.getLabelsRefs(r), i);
        String value = symbol(symbols, series.getLabelsRefs(r + 1), i);
        if (labelName.equals("__name__")) {
          name = value;
        } else {
          putLabel(i, labels, labelName, value);
        }
      }
      checkName(i, name, labels);
      names.add(name);
      labelsOf.add(labels);
      nameOf.add(name);
    }
    int byName = 0;
    int histograms = 0;
    int exemplars = 0;
    for (int i = 0; i < request.getTimeseriesCount(); i++) {
      RemoteV2.TimeSeries series = request.getTimeseries(i);
      String name = nameOf.get(i);
      TreeMap<String, String> labels = labelsOf.get(i);
      RemoteV2.Metadata meta = series.getMetadata();
      MetricMetadata.MetricType own =
          meta.getTypeValue() == 0
              ? null
              : MetricMetadata.MetricType.forNumber(meta.getTypeValue());
      String help = symbol(symbols, meta.getHelpRef(), i);
      String unit = symbol(symbols, meta.getUnitRef(), i);
      Typing typing;
      if (own == null) {
        typing = typing(name, labels, known, names::contains);
        TextFormatParser.normalizeBound(labels, typing.type());
      } else {
        String family = familyOfType(name, own);
        typing = new Typing(typeOf(name, family, own), family, false);
        TextFormatParser.normalizeBound(labels, typing.type());
        metadata.add(
            MetricMetadata.newBuilder()
                .setMetricFamilyName(family)
                .setType(own)
                .setHelp(help)
                .setUnit(unit)
                .build());
      }
      if (typing.byName()) {
        byName += series.getSamplesCount();
      }
      for (RemoteV2.Sample s : series.getSamplesList()) {
        samples.add(new ParsedSample(name, labels, typing.type(), s.getValue(), s.getTimestamp()));
        families.add(typing.family());
      }
      histograms += series.getHistogramsCount();
      exemplars += series.getExemplarsCount();
    }
    return new V2(
        new Typed(new ParseResult(samples, families, histograms + exemplars, 0), metadata, byName),
        histograms,
        exemplars);
  }

  private static String symbol(List<String> symbols, int ref, int series) throws ParseException {
    if (ref < 0 || ref >= symbols.size()) {
      throw new ParseException(
          0,
          0,
          "series "
              + (series + 1)
              + ": symbol reference "
              + ref
              + " is outside the table of "
              + symbols.size()
              + " symbols");
    }
    return symbols.get(ref);
  }

  /** The family of a series whose metadata gives its type: its name without the type's suffix. */
  private static String familyOfType(String name, MetricMetadata.MetricType type) {
    List<String> suffixes =
        switch (type) {
          case HISTOGRAM -> List.of("_bucket", "_sum", "_count", "_created");
          case GAUGEHISTOGRAM -> List.of("_bucket", "_gsum", "_gcount");
          case SUMMARY -> List.of("_sum", "_count", "_created");
          case COUNTER -> List.of("_created");
          case INFO -> List.of("_info");
          default -> List.of();
        };
    for (String suffix : suffixes) {
      if (name.endsWith(suffix) && name.length() > suffix.length()) {
        return name.substring(0, name.length() - suffix.length());
      }
    }
    return name;
  }

  /** A series' type, its family, and whether only its name gave the type. */
  private record Typing(SampleType type, String family, boolean byName) {}

  /**
   * Types a series from metadata known for its family, else by its name; the caller rewrites the
   * bound label of a bucket or quantile ({@link TextFormatParser#normalizeBound}).
   */
  private static Typing typing(
      String name,
      Map<String, String> labels,
      Function<String, MetricMetadata.MetricType> lookup,
      Predicate<String> present) {
    String family = familyOf(name, lookup);
    SampleType type;
    boolean byName = false;
    if (family != null) {
      type = typeOf(name, family, lookup.apply(family));
    } else {
      family = name;
      type = byName(name, labels, present);
      if (type != SampleType.UNTYPED) {
        family = type == SampleType.COUNTER ? name : name.substring(0, name.lastIndexOf('_'));
        byName = true;
      }
    }
    return new Typing(type, family, byName);
  }

  static void putLabel(int series, Map<String, String> labels, String name, String value)
      throws ParseException {
    if (!LineScanner.isLabelName(name)) {
      throw new ParseException(
          0, 0, "series " + (series + 1) + ": invalid label name \"" + name + "\"");
    }
    if (labels.put(name, value) != null) {
      throw new ParseException(
          0, 0, "series " + (series + 1) + ": duplicate label name \"" + name + "\"");
    }
  }

  static void checkName(int series, String name, Map<String, String> labels) throws ParseException {
    if (name == null || name.isEmpty()) {
      throw new ParseException(
          0, 0, "series " + (series + 1) + " " + labels + " has no __name__ label");
    }
    if (!LineScanner.isMetricName(name)) {
      throw new ParseException(
          0, 0, "series " + (series + 1) + ": invalid metric name \"" + name + "\"");
    }
  }

  /** The type the naming conventions give a series whose family has no known metadata. */
  static SampleType byName(String name, Map<String, String> labels, Predicate<String> present) {
    if (name.endsWith("_total")) {
      return SampleType.COUNTER;
    }
    if (name.endsWith("_bucket") && labels.containsKey("le")) {
      return SampleType.HISTOGRAM_BUCKET;
    }
    boolean count = name.endsWith("_count");
    if (count || name.endsWith("_sum")) {
      String base = name.substring(0, name.lastIndexOf('_'));
      if (present.test(base + "_bucket")) {
        return count ? SampleType.HISTOGRAM_COUNT : SampleType.HISTOGRAM_SUM;
      }
      return count ? SampleType.SUMMARY_COUNT : SampleType.SUMMARY_SUM;
    }
    return SampleType.UNTYPED;
  }

  private byte[] uncompress(byte[] body) throws ParseException {
    long declared = declaredLength(body);
    if (declared > maxDecompressedBytes) {
      throw new LimitExceededException(
          "the body declares "
              + declared
              + " bytes decompressed; at most "
              + maxDecompressedBytes
              + " are allowed");
    }
    try {
      return Snappy.uncompress(body);
    } catch (IOException | RuntimeException e) {
      throw new ParseException(0, 0, "the body is not valid snappy: " + e.getMessage());
    }
  }

  /** The snappy block header: the decompressed length as an unsigned varint of at most 5 bytes. */
  private static long declaredLength(byte[] body) throws ParseException {
    long length = 0;
    for (int i = 0; i < Math.min(5, body.length); i++) {
      length |= (long) (body[i] & 0x7f) << (7 * i);
      if ((body[i] & 0x80) == 0) {
        return length;
      }
    }
    throw new ParseException(
        0, 0, "the body is not snappy block-compressed: no valid length header");
  }

  /** The family a sample name belongs to by known metadata, or null when none is known. */
  private static String familyOf(String name, Function<String, MetricMetadata.MetricType> types) {
    if (types.apply(name) != null) {
      return name;
    }
    for (String suffix :
        List.of("_bucket", "_sum", "_count", "_gsum", "_gcount", "_total", "_created", "_info")) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        if (types.apply(base) != null) {
          return base;
        }
      }
    }
    return null;
  }

  private static SampleType typeOf(String name, String family, MetricMetadata.MetricType type) {
    String suffix = name.substring(family.length());
    return switch (type) {
      case COUNTER -> suffix.equals("_created") ? SampleType.CREATED : SampleType.COUNTER;
      case GAUGE -> SampleType.GAUGE;
      case HISTOGRAM ->
          switch (suffix) {
            case "_bucket" -> SampleType.HISTOGRAM_BUCKET;
            case "_sum" -> SampleType.HISTOGRAM_SUM;
            case "_count" -> SampleType.HISTOGRAM_COUNT;
            default -> SampleType.UNTYPED;
          };
      case GAUGEHISTOGRAM ->
          switch (suffix) {
            case "_bucket" -> SampleType.GAUGE_HISTOGRAM_BUCKET;
            case "_gsum" -> SampleType.GAUGE_HISTOGRAM_GSUM;
            case "_gcount" -> SampleType.GAUGE_HISTOGRAM_GCOUNT;
            default -> SampleType.UNTYPED;
          };
      case SUMMARY ->
          switch (suffix) {
            case "" -> SampleType.SUMMARY_QUANTILE;
            case "_sum" -> SampleType.SUMMARY_SUM;
            case "_count" -> SampleType.SUMMARY_COUNT;
            default -> SampleType.UNTYPED;
          };
      case INFO -> SampleType.INFO;
      case STATESET -> SampleType.STATESET;
      default -> SampleType.UNTYPED;
    };
  }
}
