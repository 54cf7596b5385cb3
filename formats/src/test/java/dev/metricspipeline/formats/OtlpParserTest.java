package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.StaleMarker;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class OtlpParserTest {

  private static final long NOW = 1_700_000_100_000L;
  private static final long T0 = 1_700_000_000_000_000_000L;
  private static final long T1 = T0 + 10_000_000_000L;
  private static final long T2 = T1 + 10_000_000_000L;

  private final OtlpParser parser =
      new OtlpParser(OtlpParser.Options.defaults(), new OtlpDeltas(1000));

  @Test
  void cumulativeMetricsBecomePrometheusFamilies() throws ParseException {
    Metric counter =
        Metric.newBuilder()
            .setName("http.server.requests")
            .setUnit("{request}")
            .setSum(
                Sum.newBuilder()
                    .setIsMonotonic(true)
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                    .addDataPoints(number(T1, 42).addAttributes(kv("http.request.method", "GET"))))
            .build();
    Metric gauge =
        Metric.newBuilder()
            .setName("jvm.memory.used")
            .setUnit("By")
            .setGauge(Gauge.newBuilder().addDataPoints(number(T1, 1024.5)))
            .build();
    Metric histogram =
        Metric.newBuilder()
            .setName("http.server.request.duration")
            .setUnit("s")
            .setHistogram(
                Histogram.newBuilder()
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                    .addDataPoints(
                        HistogramDataPoint.newBuilder()
                            .setStartTimeUnixNano(T0)
                            .setTimeUnixNano(T1)
                            .setCount(6)
                            .setSum(2.5)
                            .addAllExplicitBounds(List.of(0.1, 1.0))
                            .addAllBucketCounts(List.of(3L, 2L, 1L))))
            .build();
    Metric summary =
        Metric.newBuilder()
            .setName("rpc.latency")
            .setUnit("ms")
            .setSummary(
                Summary.newBuilder()
                    .addDataPoints(
                        SummaryDataPoint.newBuilder()
                            .setTimeUnixNano(T1)
                            .setCount(10)
                            .setSum(55)
                            .addQuantileValues(
                                SummaryDataPoint.ValueAtQuantile.newBuilder()
                                    .setQuantile(0.5)
                                    .setValue(5))))
            .build();
    OtlpParser.Result result =
        parser.convert(
            request(
                resource(
                    Map.of(
                        "service.name", "checkout",
                        "service.namespace", "shop",
                        "service.instance.id", "pod-1",
                        "host.name", "node-a"),
                    counter,
                    gauge,
                    histogram,
                    summary)),
            NOW);

    assertThat(result.rejectedPoints()).isZero();
    Map<String, String> id =
        Map.of(
            "job", "shop/checkout",
            "instance", "pod-1",
            "otel_scope_name", "test.scope",
            "otel_scope_version", "1.0");
    assertThat(lines(result))
        .containsExactly(
            line(
                "http_server_requests_total",
                with(id, "http_request_method", "GET"),
                "COUNTER",
                42),
            line("jvm_memory_used_bytes", id, "GAUGE", 1024.5),
            line(
                "http_server_request_duration_seconds_bucket",
                with(id, "le", "0.1"),
                "HISTOGRAM_BUCKET",
                3),
            line(
                "http_server_request_duration_seconds_bucket",
                with(id, "le", "1"),
                "HISTOGRAM_BUCKET",
                5),
            line(
                "http_server_request_duration_seconds_bucket",
                with(id, "le", "+Inf"),
                "HISTOGRAM_BUCKET",
                6),
            line("http_server_request_duration_seconds_sum", id, "HISTOGRAM_SUM", 2.5),
            line("http_server_request_duration_seconds_count", id, "HISTOGRAM_COUNT", 6),
            line("rpc_latency_milliseconds", with(id, "quantile", "0.5"), "SUMMARY_QUANTILE", 5),
            line("rpc_latency_milliseconds_sum", id, "SUMMARY_SUM", 55),
            line("rpc_latency_milliseconds_count", id, "SUMMARY_COUNT", 10),
            line(
                "target_info",
                Map.of("job", "shop/checkout", "instance", "pod-1", "host_name", "node-a"),
                "GAUGE",
                1));
    assertThat(result.parsed().samples()).allMatch(s -> s.timestamp() == T1 / 1_000_000L);
    assertThat(result.parsed().families())
        .contains("http_server_request_duration_seconds", "rpc_latency_milliseconds");
  }

  @Test
  void deltaSumsAccumulatePerStreamAndARetriedRequestIsAddedOnce() throws ParseException {
    ExportMetricsServiceRequest first = deltaCounter(T0, T1, 5);
    ExportMetricsServiceRequest second = deltaCounter(T1, T2, 3);

    assertThat(values(parser.convert(first, NOW))).containsExactly(5.0);
    OtlpParser.Result sent = parser.convert(second, NOW);
    assertThat(values(sent)).containsExactly(8.0);

    OtlpParser.Result resent = parser.convert(second, NOW);
    assertThat(resent.parsed().samples()).isEmpty();
    assertThat(resent.rejectedPoints()).isEqualTo(1);
    assertThat(resent.rejection()).contains("re-sent or out of order");

    // The request was not published: rolled back, its retry counts once.
    sent.deltas().rollback();
    assertThat(values(parser.convert(second, NOW))).containsExactly(8.0);
    assertThat(values(parser.convert(deltaCounter(T2, T2 + 10_000_000_000L, 1), NOW)))
        .containsExactly(9.0);
  }

  @Test
  void aRestartedSdkIsNotDropped() {
    assertThat(values(parser.convert(deltaCounter(T0, T1, 5), NOW))).containsExactly(5.0);
    // The SDK restarts: its next delta starts at its new start time, after the last point.
    long restart = T2 + 1_000_000_000L;
    assertThat(values(parser.convert(deltaCounter(restart, restart + 10_000_000_000L, 2), NOW)))
        .containsExactly(7.0);
    // Cumulative: the restarted SDK's lower value goes through as it is, a counter reset
    // downstream (the rollups' increase counts it from zero).
    Metric cumulative =
        Metric.newBuilder()
            .setName("jobs")
            .setSum(
                Sum.newBuilder()
                    .setIsMonotonic(true)
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                    .addDataPoints(
                        NumberDataPoint.newBuilder()
                            .setStartTimeUnixNano(restart)
                            .setTimeUnixNano(restart + 1)
                            .setAsDouble(1)))
            .build();
    OtlpParser.Result after = parser.convert(request(resource(Map.of(), cumulative)), NOW);
    assertThat(after.rejectedPoints()).isZero();
    assertThat(values(after)).containsExactly(1.0);
  }

  @Test
  void deltaHistogramsAccumulateBucketsSumAndCount() throws ParseException {
    assertThat(values(parser.convert(deltaHistogram(T0, T1, 2, List.of(1L, 1L)), NOW)))
        .containsExactly(1.0, 2.0, 2.0, 2.0);
    assertThat(values(parser.convert(deltaHistogram(T1, T2, 3, List.of(0L, 4L)), NOW)))
        .containsExactly(1.0, 6.0, 5.0, 6.0);
  }

  @Test
  void deltaNonMonotonicSumsAreRefusedWithAReason() {
    Metric updown =
        Metric.newBuilder()
            .setName("queue.size")
            .setSum(
                Sum.newBuilder()
                    .setIsMonotonic(false)
                    .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                    .addDataPoints(number(T1, 2)))
            .build();
    OtlpParser.Result result = parser.convert(request(resource(Map.of(), updown)), NOW);
    assertThat(result.parsed().samples()).isEmpty();
    assertThat(result.rejectedPoints()).isEqualTo(1);
    assertThat(result.rejection()).contains("queue.size").contains("cumulative");
  }

  @Test
  void exponentialHistogramsAreRefusedAndTheRestIsKept() {
    Metric exponential =
        Metric.newBuilder()
            .setName("latency")
            .setExponentialHistogram(
                ExponentialHistogram.newBuilder()
                    .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T1))
                    .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T2)))
            .build();
    Metric gauge =
        Metric.newBuilder()
            .setName("up")
            .setGauge(Gauge.newBuilder().addDataPoints(number(T1, 1)))
            .build();
    OtlpParser.Result result = parser.convert(request(resource(Map.of(), exponential, gauge)), NOW);
    assertThat(result.rejectedPoints()).isEqualTo(2);
    assertThat(result.rejection()).contains("exponential histogram latency").contains("explicit");
    assertThat(result.parsed().samples()).extracting(ParsedSample::name).containsExactly("up");
  }

  @Test
  void collidingAttributeNamesAreJoinedInKeyOrderAndNonStringValuesAreText() {
    NumberDataPoint.Builder point =
        number(T1, 1)
            .addAttributes(kv("a.b", "dot"))
            .addAttributes(kv("a-b", "dash"))
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("ok")
                    .setValue(AnyValue.newBuilder().setBoolValue(true)))
            .addAttributes(
                KeyValue.newBuilder().setKey("n").setValue(AnyValue.newBuilder().setIntValue(7)))
            .addAttributes(
                KeyValue.newBuilder()
                    .setKey("list")
                    .setValue(
                        AnyValue.newBuilder()
                            .setArrayValue(
                                ArrayValue.newBuilder()
                                    .addValues(AnyValue.newBuilder().setStringValue("x"))
                                    .addValues(AnyValue.newBuilder().setDoubleValue(1.5)))))
            .addAttributes(kv("empty", ""));
    Metric gauge =
        Metric.newBuilder().setName("g").setGauge(Gauge.newBuilder().addDataPoints(point)).build();
    ParsedSample sample =
        parser.convert(request(resource(Map.of(), gauge)), NOW).parsed().samples().get(0);
    assertThat(sample.labels())
        .containsEntry("a_b", "dash;dot")
        .containsEntry("ok", "true")
        .containsEntry("n", "7")
        .containsEntry("list", "[\"x\",1.5]")
        .doesNotContainKey("empty");
  }

  @Test
  void noRecordedValueIsTheStaleMarkerAndExemplarsAreCounted() {
    Metric gauge =
        Metric.newBuilder()
            .setName("g")
            .setGauge(
                Gauge.newBuilder()
                    .addDataPoints(number(T1, 0).setFlags(1))
                    .addDataPoints(
                        number(T2, 3)
                            .addExemplars(Exemplar.newBuilder().setAsDouble(3))
                            .addExemplars(Exemplar.newBuilder().setAsDouble(4))))
            .build();
    OtlpParser.Result result = parser.convert(request(resource(Map.of(), gauge)), NOW);
    assertThat(StaleMarker.isStale(result.parsed().samples().get(0).value())).isTrue();
    assertThat(result.parsed().samples().get(1).value()).isEqualTo(3.0);
    assertThat(result.parsed().exemplarsDropped()).isEqualTo(2);
  }

  @Test
  void optionsTurnOffSuffixesAndScopeLabelsAndPromoteResourceAttributes() {
    OtlpParser plain =
        new OtlpParser(new OtlpParser.Options(false, false, Set.of("k8s.namespace.name")), null);
    Metric counter =
        Metric.newBuilder()
            .setName("jobs.done")
            .setUnit("1")
            .setSum(
                Sum.newBuilder()
                    .setIsMonotonic(true)
                    .setAggregationTemporality(
                        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                    .addDataPoints(number(T1, 4)))
            .build();
    ParsedSample sample =
        plain
            .convert(
                request(
                    resource(
                        Map.of("service.name", "batch", "k8s.namespace.name", "prod"), counter)),
                NOW)
            .parsed()
            .samples()
            .get(0);
    assertThat(sample.name()).isEqualTo("jobs_done");
    assertThat(sample.labels()).isEqualTo(Map.of("job", "batch", "k8s_namespace_name", "prod"));
  }

  @Test
  void parsesOtlpJsonWithStringIntegersAndNumericEnums() throws ParseException {
    String json =
        """
        {"resourceMetrics":[{"resource":{"attributes":[
          {"key":"service.name","value":{"stringValue":"my.service"}}]},
         "scopeMetrics":[{"scope":{"name":"my.library","version":"1.0.0"},
          "metrics":[{"name":"my.counter","unit":"1","description":"I am a Counter",
           "sum":{"aggregationTemporality":2,"isMonotonic":true,
            "dataPoints":[{"asDouble":5,"startTimeUnixNano":"1544712660300000000",
             "timeUnixNano":"1544712660300000000",
             "attributes":[{"key":"my.counter.attr","value":{"stringValue":"some value"}}],
             "exemplars":[{"traceId":"5b8efff798038103d269b633813fc60c",
              "spanId":"eee19b7ec3c1b174","asDouble":1,"timeUnixNano":"1544712660300000000"}]}]}},
          {"name":"my.gauge","unit":"1","gauge":{"dataPoints":[{"asInt":"10",
           "timeUnixNano":"1544712660300000000"}]}}]}]}],"unknownField":true}
        """;
    OtlpParser.Result result = parser.parseJson(json.getBytes(StandardCharsets.UTF_8), NOW);
    assertThat(lines(result))
        .containsExactly(
            line(
                "my_counter_total",
                Map.of(
                    "job", "my.service",
                    "otel_scope_name", "my.library",
                    "otel_scope_version", "1.0.0",
                    "my_counter_attr", "some value"),
                "COUNTER",
                5),
            line(
                "my_gauge_ratio",
                Map.of(
                    "job",
                    "my.service",
                    "otel_scope_name",
                    "my.library",
                    "otel_scope_version",
                    "1.0.0"),
                "GAUGE",
                10));
    assertThat(result.parsed().samples()).allMatch(s -> s.timestamp() == 1544712660300L);
    assertThat(result.parsed().exemplarsDropped()).isEqualTo(1);
  }

  @Test
  void refusesBodiesThatAreNotOtlp() {
    assertThatThrownBy(() -> parser.parseProtobuf(new byte[] {(byte) 0xff, 0x01}, NOW))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("not an OTLP ExportMetricsServiceRequest");
    assertThatThrownBy(() -> parser.parseJson("{\"resourceMetrics\": 3}".getBytes(), NOW))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("in JSON");
  }

  private static ExportMetricsServiceRequest deltaCounter(long start, long time, double value) {
    Metric metric =
        Metric.newBuilder()
            .setName("jobs")
            .setSum(
                Sum.newBuilder()
                    .setIsMonotonic(true)
                    .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                    .addDataPoints(
                        NumberDataPoint.newBuilder()
                            .setStartTimeUnixNano(start)
                            .setTimeUnixNano(time)
                            .setAsDouble(value)))
            .build();
    return request(resource(Map.of("service.name", "svc"), metric));
  }

  private static ExportMetricsServiceRequest deltaHistogram(
      long start, long time, double sum, List<Long> buckets) {
    Metric metric =
        Metric.newBuilder()
            .setName("size")
            .setHistogram(
                Histogram.newBuilder()
                    .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                    .addDataPoints(
                        HistogramDataPoint.newBuilder()
                            .setStartTimeUnixNano(start)
                            .setTimeUnixNano(time)
                            .setCount(buckets.stream().mapToLong(Long::longValue).sum())
                            .setSum(sum)
                            .addExplicitBounds(10)
                            .addAllBucketCounts(buckets)))
            .build();
    return request(resource(Map.of(), metric));
  }

  private static NumberDataPoint.Builder number(long time, double value) {
    return NumberDataPoint.newBuilder()
        .setStartTimeUnixNano(T0)
        .setTimeUnixNano(time)
        .setAsDouble(value);
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  private static ResourceMetrics resource(Map<String, String> attributes, Metric... metrics) {
    Resource.Builder resource = Resource.newBuilder();
    attributes.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> resource.addAttributes(kv(e.getKey(), e.getValue())));
    return ResourceMetrics.newBuilder()
        .setResource(resource)
        .addScopeMetrics(
            ScopeMetrics.newBuilder()
                .setScope(InstrumentationScope.newBuilder().setName("test.scope").setVersion("1.0"))
                .addAllMetrics(List.of(metrics)))
        .build();
  }

  private static ExportMetricsServiceRequest request(ResourceMetrics... resources) {
    return ExportMetricsServiceRequest.newBuilder()
        .addAllResourceMetrics(List.of(resources))
        .build();
  }

  private static List<Double> values(OtlpParser.Result result) {
    return result.parsed().samples().stream().map(ParsedSample::value).toList();
  }

  private static List<String> lines(OtlpParser.Result result) {
    return result.parsed().samples().stream()
        .map(s -> line(s.name(), s.labels(), s.type().name(), s.value()))
        .toList();
  }

  private static String line(String name, Map<String, String> labels, String type, double value) {
    return name
        + labels.entrySet().stream()
            .sorted(Map.Entry.comparingByKey())
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(",", "{", "}"))
        + " "
        + type
        + " "
        + value;
  }

  private static Map<String, String> with(Map<String, String> labels, String name, String value) {
    java.util.TreeMap<String, String> out = new java.util.TreeMap<>(labels);
    out.put(name, value);
    return out;
  }
}
