package dev.metricspipeline.formats;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.metricspipeline.formats.internal.LineScanner;
import dev.metricspipeline.formats.internal.Numbers;
import dev.metricspipeline.formats.proto.exposition.Exposition.Bucket;
import dev.metricspipeline.formats.proto.exposition.Exposition.Histogram;
import dev.metricspipeline.formats.proto.exposition.Exposition.LabelPair;
import dev.metricspipeline.formats.proto.exposition.Exposition.Metric;
import dev.metricspipeline.formats.proto.exposition.Exposition.MetricFamily;
import dev.metricspipeline.formats.proto.exposition.Exposition.MetricType;
import dev.metricspipeline.formats.proto.exposition.Exposition.Quantile;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Prometheus protobuf exposition format: length-delimited {@code
 * io.prometheus.client.MetricFamily} messages, the default of client_golang's and client_java's
 * Pushgateway clients ({@code application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily; encoding=delimited}).
 *
 * <p>Families become samples as the text format would write them: a counter {@code x} is {@code x},
 * a summary adds {@code x{quantile=..}}, {@code x_sum} and {@code x_count}, a histogram {@code
 * x_bucket{le=..}} (with a {@code +Inf} bucket equal to the count when the message has none),
 * {@code x_sum} and {@code x_count}. Native histogram parts are not kept: a histogram that has only
 * a native part yields its sum, count and {@code +Inf} bucket; {@link
 * ParseResult#exemplarsDropped()} counts dropped exemplars.
 *
 * <p>Errors name the message (1-based) and what was wrong: {@code message 2 (http_requests_total):
 * duplicate label name "code"}.
 */
public final class ProtobufExpositionParser implements MetricsParser {

  private static final ProtobufExpositionParser INSTANCE = new ProtobufExpositionParser();

  private ProtobufExpositionParser() {}

  public static ProtobufExpositionParser instance() {
    return INSTANCE;
  }

  /** True for the delimited MetricFamily protobuf content type. */
  public static boolean handles(String contentType) {
    if (contentType == null) {
      return false;
    }
    String ct = contentType.toLowerCase(Locale.ROOT).replace(" ", "");
    return ct.startsWith("application/vnd.google.protobuf")
        && ct.contains("proto=io.prometheus.client.metricfamily")
        && ct.contains("encoding=delimited");
  }

  @Override
  public ParseResult parse(byte[] body, long defaultTimestampMs) throws ParseException {
    CodedInputStream in = CodedInputStream.newInstance(body);
    List<ParsedSample> samples = new ArrayList<>();
    List<String> families = new ArrayList<>();
    int exemplars = 0;
    int index = 0;
    try {
      while (!in.isAtEnd()) {
        index++;
        int length = in.readRawVarint32();
        if (length < 0 || length > body.length) {
          throw new ParseException(0, 0, "message " + index + ": bad length " + length);
        }
        int limit = in.pushLimit(length);
        MetricFamily family = MetricFamily.parseFrom(in);
        in.popLimit(limit);
        exemplars += family(family, index, defaultTimestampMs, samples, families);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new ParseException(
          0, 0, "message " + index + ": not a valid MetricFamily: " + e.getMessage());
    } catch (IOException e) {
      throw new ParseException(0, 0, "message " + index + ": " + e.getMessage());
    }
    return new ParseResult(samples, families, exemplars, 0);
  }

  private static int family(
      MetricFamily family, int index, long defaultTs, List<ParsedSample> out, List<String> families)
      throws ParseException {
    String name = family.getName();
    String where = "message " + index + " (" + name + ")";
    if (!LineScanner.isMetricName(name)) {
      throw new ParseException(0, 0, where + ": invalid metric name \"" + name + "\"");
    }
    int exemplars = 0;
    Set<String> seen = new HashSet<>();
    for (Metric metric : family.getMetricList()) {
      TreeMap<String, String> labels = new TreeMap<>();
      for (LabelPair pair : metric.getLabelList()) {
        if (!LineScanner.isLabelName(pair.getName())) {
          throw new ParseException(0, 0, where + ": invalid label name \"" + pair.getName() + "\"");
        }
        if (labels.put(pair.getName(), pair.getValue()) != null) {
          throw new ParseException(
              0, 0, where + ": duplicate label name \"" + pair.getName() + "\"");
        }
      }
      if (!seen.add(labels.toString())) {
        throw new ParseException(0, 0, where + ": two metrics with the labels " + labels);
      }
      long ts = metric.hasTimestampMs() ? metric.getTimestampMs() : defaultTs;
      List<ParsedSample> samples = new ArrayList<>();
      MetricType type = family.getType();
      switch (type) {
        case COUNTER -> {
          samples.add(
              new ParsedSample(
                  name, labels, SampleType.COUNTER, metric.getCounter().getValue(), ts));
          exemplars += metric.getCounter().hasExemplar() ? 1 : 0;
        }
        case GAUGE ->
            samples.add(
                new ParsedSample(name, labels, SampleType.GAUGE, metric.getGauge().getValue(), ts));
        case UNTYPED ->
            samples.add(
                new ParsedSample(
                    name, labels, SampleType.UNTYPED, metric.getUntyped().getValue(), ts));
        case SUMMARY -> {
          for (Quantile q : metric.getSummary().getQuantileList()) {
            TreeMap<String, String> ql = new TreeMap<>(labels);
            ql.put("quantile", Numbers.formatBound(q.getQuantile()));
            samples.add(new ParsedSample(name, ql, SampleType.SUMMARY_QUANTILE, q.getValue(), ts));
          }
          samples.add(
              new ParsedSample(
                  name + "_sum",
                  labels,
                  SampleType.SUMMARY_SUM,
                  metric.getSummary().getSampleSum(),
                  ts));
          samples.add(
              new ParsedSample(
                  name + "_count",
                  labels,
                  SampleType.SUMMARY_COUNT,
                  metric.getSummary().getSampleCount(),
                  ts));
        }
        case HISTOGRAM, GAUGE_HISTOGRAM ->
            exemplars +=
                histogram(
                    name,
                    labels,
                    metric.getHistogram(),
                    type == MetricType.GAUGE_HISTOGRAM,
                    ts,
                    samples);
        default -> throw new ParseException(0, 0, where + ": unknown metric type " + type);
      }
      for (ParsedSample s : samples) {
        out.add(s);
        families.add(name);
      }
    }
    return exemplars;
  }

  private static int histogram(
      String name,
      TreeMap<String, String> labels,
      Histogram h,
      boolean gauge,
      long ts,
      List<ParsedSample> out) {
    double count = h.hasSampleCountFloat() ? h.getSampleCountFloat() : h.getSampleCount();
    int exemplars = 0;
    boolean inf = false;
    for (Bucket b : h.getBucketList()) {
      TreeMap<String, String> bl = new TreeMap<>(labels);
      bl.put("le", Numbers.formatBound(b.getUpperBound()));
      inf |= b.getUpperBound() == Double.POSITIVE_INFINITY;
      double cumulative =
          b.hasCumulativeCountFloat() ? b.getCumulativeCountFloat() : b.getCumulativeCount();
      out.add(
          new ParsedSample(
              name + "_bucket",
              bl,
              gauge ? SampleType.GAUGE_HISTOGRAM_BUCKET : SampleType.HISTOGRAM_BUCKET,
              cumulative,
              ts));
      exemplars += b.hasExemplar() ? 1 : 0;
    }
    if (!inf) {
      TreeMap<String, String> bl = new TreeMap<>(labels);
      bl.put("le", "+Inf");
      out.add(
          new ParsedSample(
              name + "_bucket",
              bl,
              gauge ? SampleType.GAUGE_HISTOGRAM_BUCKET : SampleType.HISTOGRAM_BUCKET,
              count,
              ts));
    }
    out.add(
        new ParsedSample(
            name + (gauge ? "_gsum" : "_sum"),
            labels,
            gauge ? SampleType.GAUGE_HISTOGRAM_GSUM : SampleType.HISTOGRAM_SUM,
            h.getSampleSum(),
            ts));
    out.add(
        new ParsedSample(
            name + (gauge ? "_gcount" : "_count"),
            labels,
            gauge ? SampleType.GAUGE_HISTOGRAM_GCOUNT : SampleType.HISTOGRAM_COUNT,
            count,
            ts));
    return exemplars;
  }
}
