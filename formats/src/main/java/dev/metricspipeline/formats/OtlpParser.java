package dev.metricspipeline.formats;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.metricspipeline.formats.internal.Numbers;
import dev.metricspipeline.formats.internal.OtlpNames;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.SampleType;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * OpenTelemetry OTLP metrics ({@code ExportMetricsServiceRequest}, protobuf or JSON) to samples,
 * after the OpenTelemetry specification's Prometheus compatibility rules, as Prometheus 3's OTLP
 * receiver applies them:
 *
 * <ul>
 *   <li>names and units as in {@link OtlpNames} ({@code http.server.request.duration} in {@code s}
 *       → {@code http_server_request_duration_seconds}); attributes as labels, invalid characters
 *       replaced, values of colliding names joined with {@code ;} in the order of the original
 *       keys; labels with empty values left out, as Prometheus does;
 *   <li>{@code job} from {@code service.namespace/service.name}, {@code instance} from {@code
 *       service.instance.id}; the other resource attributes go to one {@code target_info} gauge
 *       (value 1) per resource, and those listed in {@link Options#promotedResourceAttributes()}
 *       also onto every sample; {@code otel_scope_name} and {@code otel_scope_version} labels
 *       unless {@link Options#scopeLabels()} is off;
 *   <li>gauges → {@code GAUGE}; cumulative monotonic sums → {@code COUNTER} with {@code _total};
 *       cumulative non-monotonic sums → {@code GAUGE}; explicit-bucket histograms → {@code _bucket}
 *       (cumulative counts, {@code le}, up to {@code +Inf}), {@code _sum} when sent, {@code
 *       _count}; summaries → quantiles, {@code _sum}, {@code _count};
 *   <li>delta monotonic sums and delta histograms → cumulative through {@link OtlpDeltas}; delta
 *       non-monotonic sums are dropped, as the specification says;
 *   <li>a point flagged {@code NO_RECORDED_VALUE} → the stale marker;
 *   <li>exponential histograms are refused point by point with a reason (the pipeline keeps no
 *       native histograms: configure the SDK's histogram aggregation as explicit buckets);
 *       exemplars are dropped and counted.
 * </ul>
 *
 * Refused points are counted in {@link Result#rejectedPoints()} with the first reason, which the
 * gateway returns as OTLP's partial success; the rest of the request is kept. {@code _created}
 * series are not produced (the start time is used only to order delta points).
 */
public final class OtlpParser {

  /**
   * @param nameSuffixes add unit and type suffixes to metric names (off: only escape characters)
   * @param scopeLabels add {@code otel_scope_name} and {@code otel_scope_version}
   * @param promotedResourceAttributes resource attributes copied onto every sample as labels
   */
  public record Options(
      boolean nameSuffixes, boolean scopeLabels, Set<String> promotedResourceAttributes) {
    public Options {
      promotedResourceAttributes = Set.copyOf(promotedResourceAttributes);
    }

    public static Options defaults() {
      return new Options(true, true, Set.of());
    }
  }

  /**
   * What one request became.
   *
   * @param parsed the samples (with families), exemplars dropped in {@link
   *     ParseResult#exemplarsDropped()}
   * @param rejectedPoints data points refused, for OTLP's partial success
   * @param rejection the first refusal's reason, or null when none was refused
   * @param deltas the delta-state updates this request made, to roll back if it is not published
   */
  public record Result(
      ParseResult parsed, int rejectedPoints, String rejection, OtlpDeltas.Pending deltas) {}

  private static final JsonFormat.Parser JSON = JsonFormat.parser().ignoringUnknownFields();
  private static final String SERVICE_NAME = "service.name";
  private static final String SERVICE_NAMESPACE = "service.namespace";
  private static final String SERVICE_INSTANCE = "service.instance.id";

  private final Options options;
  private final OtlpDeltas deltas;

  /**
   * @param deltas the delta state shared by the gateway's requests; null refuses delta points
   */
  public OtlpParser(Options options, OtlpDeltas deltas) {
    this.options = options;
    this.deltas = deltas;
  }

  /** Parses a protobuf-encoded request. */
  public Result parseProtobuf(byte[] body, long now) throws ParseException {
    try {
      return convert(ExportMetricsServiceRequest.parseFrom(body), now);
    } catch (InvalidProtocolBufferException e) {
      throw new ParseException(
          0, 0, "the body is not an OTLP ExportMetricsServiceRequest: " + e.getMessage());
    }
  }

  /** Parses a JSON-encoded request (OTLP/HTTP JSON: protobuf's JSON mapping). */
  public Result parseJson(byte[] body, long now) throws ParseException {
    ExportMetricsServiceRequest.Builder builder = ExportMetricsServiceRequest.newBuilder();
    try {
      JSON.merge(new String(body, StandardCharsets.UTF_8), builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new ParseException(
          0, 0, "the body is not an OTLP ExportMetricsServiceRequest in JSON: " + e.getMessage());
    }
    return convert(builder.build(), now);
  }

  /** Converts a decoded request. */
  public Result convert(ExportMetricsServiceRequest request, long now) {
    Conversion c = new Conversion(now, deltas == null ? OtlpDeltas.NONE : deltas.begin());
    for (ResourceMetrics resource : request.getResourceMetricsList()) {
      c.resource(resource);
    }
    return new Result(
        new ParseResult(c.samples, c.families, c.exemplars, 0), c.rejected, c.rejection, c.pending);
  }

  /** The state of converting one request. */
  private final class Conversion {
    final long now;
    final OtlpDeltas.Pending pending;
    final List<ParsedSample> samples = new ArrayList<>();
    final List<String> families = new ArrayList<>();
    int exemplars;
    int rejected;
    String rejection;

    Conversion(long now, OtlpDeltas.Pending pending) {
      this.now = now;
      this.pending = pending;
    }

    void reject(int points, String why) {
      rejected += points;
      if (rejection == null) {
        rejection = why;
      }
    }

    void resource(ResourceMetrics resource) {
      List<KeyValue> attributes = resource.getResource().getAttributesList();
      Map<String, String> resourceValues = new TreeMap<>();
      for (KeyValue kv : attributes) {
        resourceValues.put(kv.getKey(), text(kv.getValue()));
      }
      TreeMap<String, String> base = new TreeMap<>();
      List<KeyValue> promoted = new ArrayList<>();
      for (KeyValue kv : attributes) {
        if (options.promotedResourceAttributes().contains(kv.getKey())) {
          promoted.add(kv);
        }
      }
      putAttributes(base, promoted);
      String job = job(resourceValues);
      String instance = resourceValues.getOrDefault(SERVICE_INSTANCE, "");
      long latest = 0;
      int before = samples.size();
      for (ScopeMetrics scope : resource.getScopeMetricsList()) {
        TreeMap<String, String> scopeLabels = new TreeMap<>(base);
        if (options.scopeLabels()) {
          putIfNotEmpty(scopeLabels, "otel_scope_name", scope.getScope().getName());
          putIfNotEmpty(scopeLabels, "otel_scope_version", scope.getScope().getVersion());
        }
        for (Metric metric : scope.getMetricsList()) {
          metric(metric, scopeLabels, job, instance);
        }
      }
      for (int i = before; i < samples.size(); i++) {
        latest = Math.max(latest, samples.get(i).timestamp());
      }
      TreeMap<String, String> info = new TreeMap<>();
      List<KeyValue> rest = new ArrayList<>();
      for (KeyValue kv : attributes) {
        if (!kv.getKey().equals(SERVICE_NAME)
            && !kv.getKey().equals(SERVICE_NAMESPACE)
            && !kv.getKey().equals(SERVICE_INSTANCE)) {
          rest.add(kv);
        }
      }
      putAttributes(info, rest);
      if (!info.isEmpty() && samples.size() > before) {
        putIfNotEmpty(info, "job", job);
        putIfNotEmpty(info, "instance", instance);
        add("target_info", "target_info", info, SampleType.GAUGE, 1.0, latest);
      }
    }

    void metric(Metric metric, Map<String, String> scopeLabels, String job, String instance) {
      if (metric.getName().isEmpty()) {
        reject(pointCount(metric), "a metric without a name");
        return;
      }
      switch (metric.getDataCase()) {
        case GAUGE -> {
          String name = name(metric, OtlpNames.Kind.GAUGE);
          for (NumberDataPoint p : metric.getGauge().getDataPointsList()) {
            number(name, p, scopeLabels, job, instance, SampleType.GAUGE);
          }
        }
        case SUM -> sum(metric, scopeLabels, job, instance);
        case HISTOGRAM -> {
          String name = name(metric, OtlpNames.Kind.OTHER);
          boolean delta =
              metric.getHistogram().getAggregationTemporality()
                  == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
          for (HistogramDataPoint p : metric.getHistogram().getDataPointsList()) {
            histogram(name, p, delta, scopeLabels, job, instance);
          }
        }
        case SUMMARY -> {
          String name = name(metric, OtlpNames.Kind.OTHER);
          for (SummaryDataPoint p : metric.getSummary().getDataPointsList()) {
            summary(name, p, scopeLabels, job, instance);
          }
        }
        case EXPONENTIAL_HISTOGRAM ->
            reject(
                metric.getExponentialHistogram().getDataPointsCount(),
                "exponential histogram "
                    + metric.getName()
                    + ": not supported (no native histograms downstream); configure the SDK's"
                    + " histogram aggregation as explicit buckets");
        default -> reject(1, "metric " + metric.getName() + " has no data");
      }
    }

    void sum(Metric metric, Map<String, String> scopeLabels, String job, String instance) {
      boolean monotonic = metric.getSum().getIsMonotonic();
      AggregationTemporality temporality = metric.getSum().getAggregationTemporality();
      boolean delta = temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
      if (delta && !monotonic) {
        reject(
            metric.getSum().getDataPointsCount(),
            "sum "
                + metric.getName()
                + ": delta non-monotonic sums cannot be made cumulative; send cumulative"
                + " temporality");
        return;
      }
      String name = name(metric, monotonic ? OtlpNames.Kind.COUNTER : OtlpNames.Kind.GAUGE);
      SampleType type = monotonic ? SampleType.COUNTER : SampleType.GAUGE;
      for (NumberDataPoint p : metric.getSum().getDataPointsList()) {
        if (!delta) {
          number(name, p, scopeLabels, job, instance, type);
          continue;
        }
        TreeMap<String, String> labels = labels(scopeLabels, p.getAttributesList(), job, instance);
        exemplars += p.getExemplarsCount();
        if (noValue(p.getFlags())) {
          add(name, name, labels, type, StaleMarker.VALUE, millis(p.getTimeUnixNano()));
          continue;
        }
        if (deltas == null) {
          reject(1, "sum " + metric.getName() + ": delta temporality is not accepted here");
          continue;
        }
        OtlpDeltas.Outcome outcome =
            deltas.addSum(
                pending,
                "S" + name + labels,
                p.getStartTimeUnixNano(),
                p.getTimeUnixNano(),
                value(p));
        if (outcome.refusal() != null) {
          reject(1, "sum " + metric.getName() + ": " + outcome.refusal());
          continue;
        }
        add(name, name, labels, type, outcome.state().value(), millis(p.getTimeUnixNano()));
      }
    }

    void number(
        String name,
        NumberDataPoint p,
        Map<String, String> scopeLabels,
        String job,
        String instance,
        SampleType type) {
      if (!noValue(p.getFlags()) && p.getValueCase() == NumberDataPoint.ValueCase.VALUE_NOT_SET) {
        reject(1, "metric " + name + ": a data point without a value");
        return;
      }
      exemplars += p.getExemplarsCount();
      double value = noValue(p.getFlags()) ? StaleMarker.VALUE : value(p);
      add(
          name,
          name,
          labels(scopeLabels, p.getAttributesList(), job, instance),
          type,
          value,
          millis(p.getTimeUnixNano()));
    }

    void histogram(
        String name,
        HistogramDataPoint p,
        boolean delta,
        Map<String, String> scopeLabels,
        String job,
        String instance) {
      int buckets = p.getBucketCountsCount();
      int bounds = p.getExplicitBoundsCount();
      if (buckets != 0 && buckets != bounds + 1) {
        reject(
            1,
            "histogram "
                + name
                + ": "
                + buckets
                + " bucket counts for "
                + bounds
                + " bounds; expected bounds + 1");
        return;
      }
      TreeMap<String, String> labels = labels(scopeLabels, p.getAttributesList(), job, instance);
      long time = millis(p.getTimeUnixNano());
      exemplars += p.getExemplarsCount();
      double[] bound = new double[bounds];
      for (int i = 0; i < bounds; i++) {
        bound[i] = p.getExplicitBounds(i);
      }
      long[] counts = new long[buckets];
      for (int i = 0; i < buckets; i++) {
        counts[i] = p.getBucketCounts(i);
      }
      long count = p.getCount();
      double sum = p.hasSum() ? p.getSum() : Double.NaN;
      boolean stale = noValue(p.getFlags());
      if (delta && !stale) {
        if (deltas == null) {
          reject(1, "histogram " + name + ": delta temporality is not accepted here");
          return;
        }
        // Without buckets the count alone is accumulated, as the one "bucket".
        OtlpDeltas.Outcome outcome =
            deltas.addHistogram(
                pending,
                "H" + name + labels,
                p.getStartTimeUnixNano(),
                p.getTimeUnixNano(),
                p.hasSum() ? p.getSum() : 0,
                bound,
                buckets == 0 ? new long[] {count} : counts);
        if (outcome.refusal() != null) {
          reject(1, "histogram " + name + ": " + outcome.refusal());
          return;
        }
        counts = outcome.state().counts();
        sum = p.hasSum() ? outcome.state().value() : Double.NaN;
        count = 0;
        for (long c : counts) {
          count += c;
        }
      }
      String bucketName = name + "_bucket";
      long cumulative = 0;
      for (int i = 0; i < buckets; i++) {
        cumulative += counts[i];
        TreeMap<String, String> l = new TreeMap<>(labels);
        l.put("le", i < bounds ? Numbers.formatBound(bound[i]) : "+Inf");
        add(
            bucketName,
            name,
            l,
            SampleType.HISTOGRAM_BUCKET,
            stale ? StaleMarker.VALUE : cumulative,
            time);
      }
      if (p.hasSum()) {
        add(
            name + "_sum",
            name,
            labels,
            SampleType.HISTOGRAM_SUM,
            stale ? StaleMarker.VALUE : sum,
            time);
      }
      add(
          name + "_count",
          name,
          labels,
          SampleType.HISTOGRAM_COUNT,
          stale ? StaleMarker.VALUE : count,
          time);
    }

    void summary(
        String name,
        SummaryDataPoint p,
        Map<String, String> scopeLabels,
        String job,
        String instance) {
      TreeMap<String, String> labels = labels(scopeLabels, p.getAttributesList(), job, instance);
      long time = millis(p.getTimeUnixNano());
      boolean stale = noValue(p.getFlags());
      for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
        TreeMap<String, String> l = new TreeMap<>(labels);
        l.put("quantile", Numbers.formatBound(q.getQuantile()));
        add(
            name,
            name,
            l,
            SampleType.SUMMARY_QUANTILE,
            stale ? StaleMarker.VALUE : q.getValue(),
            time);
      }
      add(
          name + "_sum",
          name,
          labels,
          SampleType.SUMMARY_SUM,
          stale ? StaleMarker.VALUE : p.getSum(),
          time);
      add(
          name + "_count",
          name,
          labels,
          SampleType.SUMMARY_COUNT,
          stale ? StaleMarker.VALUE : p.getCount(),
          time);
    }

    TreeMap<String, String> labels(
        Map<String, String> scopeLabels, List<KeyValue> attributes, String job, String instance) {
      TreeMap<String, String> labels = new TreeMap<>(scopeLabels);
      putAttributes(labels, attributes);
      putIfNotEmpty(labels, "job", job);
      putIfNotEmpty(labels, "instance", instance);
      return labels;
    }

    void add(
        String name,
        String family,
        Map<String, String> labels,
        SampleType type,
        double value,
        long timestamp) {
      samples.add(new ParsedSample(name, labels, type, value, timestamp));
      families.add(family);
    }

    long millis(long nanos) {
      return nanos == 0 ? now : nanos / 1_000_000L;
    }
  }

  private String name(Metric metric, OtlpNames.Kind kind) {
    return OtlpNames.metricName(metric.getName(), metric.getUnit(), kind, options.nameSuffixes());
  }

  private static int pointCount(Metric metric) {
    return switch (metric.getDataCase()) {
      case GAUGE -> metric.getGauge().getDataPointsCount();
      case SUM -> metric.getSum().getDataPointsCount();
      case HISTOGRAM -> metric.getHistogram().getDataPointsCount();
      case EXPONENTIAL_HISTOGRAM -> metric.getExponentialHistogram().getDataPointsCount();
      case SUMMARY -> metric.getSummary().getDataPointsCount();
      default -> 1;
    };
  }

  private static boolean noValue(int flags) {
    return (flags & 1) != 0;
  }

  private static double value(NumberDataPoint p) {
    return p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? p.getAsInt() : p.getAsDouble();
  }

  private static String job(Map<String, String> resource) {
    String name = resource.getOrDefault(SERVICE_NAME, "");
    String namespace = resource.getOrDefault(SERVICE_NAMESPACE, "");
    if (name.isEmpty()) {
      return "";
    }
    return namespace.isEmpty() ? name : namespace + "/" + name;
  }

  private static void putIfNotEmpty(Map<String, String> labels, String name, String value) {
    if (value != null && !value.isEmpty()) {
      labels.put(name, value);
    }
  }

  /**
   * Attributes as labels, overriding what {@code labels} holds under the same name; names that
   * collide after escaping get their values joined with {@code ;} in the order of the original
   * keys.
   */
  static void putAttributes(Map<String, String> labels, List<KeyValue> attributes) {
    if (attributes.isEmpty()) {
      return;
    }
    TreeMap<String, String> byKey = new TreeMap<>();
    for (KeyValue kv : attributes) {
      byKey.put(kv.getKey(), text(kv.getValue()));
    }
    TreeMap<String, String> joined = new TreeMap<>();
    byKey.forEach(
        (key, value) -> {
          if (value.isEmpty()) {
            return;
          }
          joined.merge(OtlpNames.labelName(key), value, (a, b) -> a + ";" + b);
        });
    labels.putAll(joined);
  }

  /** An attribute value as text, as the OpenTelemetry attribute specification says. */
  static String text(AnyValue value) {
    return switch (value.getValueCase()) {
      case STRING_VALUE -> value.getStringValue();
      case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
      case INT_VALUE -> Long.toString(value.getIntValue());
      case DOUBLE_VALUE -> Numbers.formatBound(value.getDoubleValue());
      case BYTES_VALUE -> Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray());
      case ARRAY_VALUE -> {
        StringBuilder out = new StringBuilder("[");
        for (AnyValue v : value.getArrayValue().getValuesList()) {
          if (out.length() > 1) {
            out.append(',');
          }
          out.append(json(v));
        }
        yield out.append(']').toString();
      }
      case KVLIST_VALUE -> {
        StringBuilder out = new StringBuilder("{");
        for (KeyValue kv : value.getKvlistValue().getValuesList()) {
          if (out.length() > 1) {
            out.append(',');
          }
          out.append(quote(kv.getKey())).append(':').append(json(kv.getValue()));
        }
        yield out.append('}').toString();
      }
      default -> "";
    };
  }

  private static String json(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE, BYTES_VALUE -> quote(text(v));
      case VALUE_NOT_SET -> "null";
      default -> text(v);
    };
  }

  /** A JSON string literal, escaped by Jackson. */
  private static String quote(String s) {
    return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
  }
}
