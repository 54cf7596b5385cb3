package dev.metricspipeline.formats;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.metricspipeline.formats.internal.LineScanner;
import dev.metricspipeline.formats.internal.ParsedSamples;
import dev.metricspipeline.formats.proto.remote.Remote.Label;
import dev.metricspipeline.formats.proto.remote.Remote.MetricMetadata;
import dev.metricspipeline.formats.proto.remote.Remote.Sample;
import dev.metricspipeline.formats.proto.remote.Remote.TimeSeries;
import dev.metricspipeline.formats.proto.remote.Remote.WriteRequest;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.xerial.snappy.Snappy;

/**
 * Prometheus remote_write 1.0: a snappy block-compressed {@code WriteRequest}. Every sample of
 * every series becomes a {@link MetricSample} with the series' labels ({@code __name__} as the
 * name). Types come from the request's metadata when the sender includes it (Prometheus does, every
 * minute), by family name and the histogram/summary suffixes; otherwise {@code UNTYPED}.
 *
 * <p>The decompressed size that the snappy header declares is checked against the limit before any
 * buffer is allocated, so a small body claiming gigabytes (a snappy bomb) costs nothing. Native
 * histograms and exemplars are dropped and counted in {@link ParseResult#exemplarsDropped()} (both
 * together; native histograms are rare in remote_write 1.0).
 */
public final class RemoteWriteParser implements MetricsParser {

  private final long maxDecompressedBytes;

  public RemoteWriteParser(long maxDecompressedBytes) {
    this.maxDecompressedBytes = maxDecompressedBytes;
  }

  /**
   * Parses a snappy-compressed WriteRequest.
   *
   * @throws LimitExceededException if the declared decompressed size is over the limit
   * @throws ParseException if the body is not snappy, not a WriteRequest, or has a bad series
   */
  @Override
  public ParseResult parse(byte[] body, long defaultTimestampMs) throws ParseException {
    WriteRequest request = decode(body);
    Map<String, MetricMetadata.MetricType> types = new HashMap<>();
    for (MetricMetadata m : request.getMetadataList()) {
      types.put(m.getMetricFamilyName(), m.getType());
    }
    List<MetricSample> samples = new ArrayList<>();
    List<String> families = new ArrayList<>();
    int dropped = 0;
    for (int i = 0; i < request.getTimeseriesCount(); i++) {
      TimeSeries series = request.getTimeseries(i);
      TreeMap<String, String> labels = new TreeMap<>();
      String name = null;
      for (Label label : series.getLabelsList()) {
        if (label.getName().equals("__name__")) {
          name = label.getValue();
          continue;
        }
        if (!LineScanner.isLabelName(label.getName())) {
          throw new ParseException(
              0, 0, "series " + (i + 1) + ": invalid label name \"" + label.getName() + "\"");
        }
        if (labels.put(label.getName(), label.getValue()) != null) {
          throw new ParseException(
              0, 0, "series " + (i + 1) + ": duplicate label name \"" + label.getName() + "\"");
        }
      }
      if (name == null || name.isEmpty()) {
        throw new ParseException(
            0, 0, "series " + (i + 1) + " " + labels + " has no __name__ label");
      }
      if (!LineScanner.isMetricName(name)) {
        throw new ParseException(
            0, 0, "series " + (i + 1) + ": invalid metric name \"" + name + "\"");
      }
      String family = familyOf(name, types);
      SampleType type = typeOf(name, family, types.get(family));
      if (type == SampleType.HISTOGRAM_BUCKET
          || type == SampleType.GAUGE_HISTOGRAM_BUCKET
          || type == SampleType.SUMMARY_QUANTILE) {
        TextFormatParser.normalizeBound(labels, type);
      }
      for (Sample s : series.getSamplesList()) {
        samples.add(
            ParsedSamples.of(
                name, labels, type, s.getValue(), s.getTimestamp(), defaultTimestampMs));
        families.add(family);
      }
      dropped += series.getExemplarsCount() + series.getHistogramsCount();
    }
    return new ParseResult(samples, families, dropped, 0);
  }

  private WriteRequest decode(byte[] body) throws ParseException {
    long declared = declaredLength(body);
    if (declared > maxDecompressedBytes) {
      throw new LimitExceededException(
          "the body declares "
              + declared
              + " bytes decompressed; at most "
              + maxDecompressedBytes
              + " are allowed");
    }
    byte[] raw;
    try {
      raw = Snappy.uncompress(body);
    } catch (IOException | RuntimeException e) {
      throw new ParseException(0, 0, "the body is not valid snappy: " + e.getMessage());
    }
    try {
      return WriteRequest.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new ParseException(
          0, 0, "the body is not a remote_write WriteRequest: " + e.getMessage());
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

  private static String familyOf(String name, Map<String, MetricMetadata.MetricType> types) {
    if (types.containsKey(name)) {
      return name;
    }
    for (String suffix :
        List.of("_bucket", "_sum", "_count", "_gsum", "_gcount", "_total", "_created", "_info")) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        if (types.containsKey(base)) {
          return base;
        }
      }
    }
    return name;
  }

  private static SampleType typeOf(String name, String family, MetricMetadata.MetricType type) {
    if (type == null) {
      return SampleType.UNTYPED;
    }
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
