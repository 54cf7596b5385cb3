package dev.metricspipeline.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * OpenTelemetry's own Java SDK and OTLP exporters (HTTP and gRPC) pushing into a running gateway:
 * what lands in Kafka is what the SDK recorded, named and labelled as Prometheus would.
 */
@ExtendWith(KafkaExtension.class)
class OtlpIT {

  private static final AttributeKey<String> REGION = AttributeKey.stringKey("region");

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void sdkExportersOverHttpAndGrpcLandAsPrometheusSeries(KafkaCluster kafka) throws Exception {
    String topic = kafka.uniqueTopic("samples");
    kafka.createTopic(topic, 2);
    try (MetricsPublisher publisher = publisher(kafka, topic);
        PushGateway gateway = gateway(kafka, publisher)) {
      assertThat(gateway.grpcPort()).isPositive();

      // Cumulative (the SDK default) over OTLP/HTTP protobuf.
      MetricExporter httpExporter =
          OtlpHttpMetricExporter.builder()
              .setEndpoint(gateway.url() + "/v1/metrics")
              .setTimeout(Duration.ofSeconds(30))
              .build();
      try (SdkMeterProvider provider = provider("checkout", "pod-1", httpExporter)) {
        Meter meter = provider.get("shop.orders");
        LongCounter orders = meter.counterBuilder("orders.placed").setUnit("{order}").build();
        orders.add(3, Attributes.of(REGION, "eu"));
        orders.add(4, Attributes.of(REGION, "us"));
        meter.gaugeBuilder("room.temperature").setUnit("Cel").build().set(21.5);
        DoubleHistogram latency =
            meter
                .histogramBuilder("checkout.duration")
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(List.of(0.5, 1.0, 5.0))
                .build();
        for (double v : new double[] {0.2, 0.7, 3.0}) {
          latency.record(v);
        }
        assertThat(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
      }

      // Delta temporality over OTLP/gRPC: made cumulative by the gateway.
      MetricExporter grpcExporter =
          OtlpGrpcMetricExporter.builder()
              .setEndpoint("http://127.0.0.1:" + gateway.grpcPort())
              .setTimeout(Duration.ofSeconds(30))
              .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred())
              .build();
      try (SdkMeterProvider provider = provider("batch", "worker-7", grpcExporter)) {
        LongCounter jobs = provider.get("batch.jobs").counterBuilder("jobs.done").build();
        jobs.add(2);
        assertThat(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
        jobs.add(5);
        assertThat(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
      }

      List<MetricSample> samples =
          SampleReader.read(
              kafka.bootstrapServers(),
              kafka.schemaRegistryUrl(),
              topic,
              s -> s.stream().filter(x -> x.getName().equals("jobs_done_total")).count() >= 2,
              Duration.ofSeconds(60));

      assertThat(value(samples, "orders_placed_total", Map.of("region", "eu"))).contains(3.0);
      assertThat(value(samples, "orders_placed_total", Map.of("region", "us"))).contains(4.0);
      assertThat(value(samples, "room_temperature_celsius", Map.of())).contains(21.5);
      assertThat(value(samples, "checkout_duration_seconds_count", Map.of())).contains(3.0);
      assertThat(value(samples, "checkout_duration_seconds_sum", Map.of())).contains(3.9);
      assertThat(value(samples, "checkout_duration_seconds_bucket", Map.of("le", "0.5")))
          .contains(1.0);
      assertThat(value(samples, "checkout_duration_seconds_bucket", Map.of("le", "1")))
          .contains(2.0);
      assertThat(value(samples, "checkout_duration_seconds_bucket", Map.of("le", "5")))
          .contains(3.0);
      assertThat(value(samples, "checkout_duration_seconds_bucket", Map.of("le", "+Inf")))
          .contains(3.0);
      MetricSample order = find(samples, "orders_placed_total", Map.of("region", "eu")).get();
      assertThat(order.getLabels())
          .containsEntry("job", "shop/checkout")
          .containsEntry("instance", "pod-1")
          .containsEntry("otel_scope_name", "shop.orders");
      assertThat(order.getOrigin()).isEqualTo(Origin.PUSH_OTLP);
      assertThat(order.getSource()).isEqualTo("POST /v1/metrics");
      assertThat(find(samples, "target_info", Map.of("job", "shop/checkout"))).isPresent();
      assertThat(find(samples, "target_info", Map.of("job", "shop/checkout")).get().getLabels())
          .containsEntry("telemetry_sdk_language", "java");

      assertThat(
              samples.stream()
                  .filter(s -> s.getName().equals("jobs_done_total"))
                  .map(MetricSample::getValue))
          .containsExactly(2.0, 7.0);
      MetricSample job = find(samples, "jobs_done_total", Map.of()).get();
      assertThat(job.getLabels()).containsEntry("job", "shop/batch");
      assertThat(job.getSource()).isEqualTo("gRPC MetricsService/Export");
    }
  }

  @Test
  void jsonAndGzipBodiesAndRefusalsAsOtlpDefines(KafkaCluster kafka) throws Exception {
    String topic = kafka.uniqueTopic("samples");
    kafka.createTopic(topic, 1);
    try (MetricsPublisher publisher = publisher(kafka, topic);
        PushGateway gateway = gateway(kafka, publisher)) {
      String url = gateway.url() + "/v1/metrics";
      long now = System.currentTimeMillis() * 1_000_000L;
      String json =
          """
          {"resourceMetrics":[{"resource":{"attributes":[
            {"key":"service.name","value":{"stringValue":"curl"}}]},
           "scopeMetrics":[{"metrics":[
            {"name":"queue.depth","gauge":{"dataPoints":[{"asInt":"12","timeUnixNano":"%d"}]}},
            {"name":"latency","exponentialHistogram":{"aggregationTemporality":2,
             "dataPoints":[{"timeUnixNano":"%d","count":"1","scale":2}]}}]}]}]}
          """
              .formatted(now, now);
      HttpResponse<String> ok = post(url, gzip(json), "application/json", "gzip");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(ok.body())
          .contains("\"rejectedDataPoints\":\"1\"")
          .contains("exponential histogram latency");

      HttpResponse<String> wrongType =
          post(url, "x".getBytes(StandardCharsets.UTF_8), "text/plain", null);
      assertThat(wrongType.statusCode()).isEqualTo(415);

      HttpResponse<String> garbage =
          post(url, "{\"resourceMetrics\": 7}".getBytes(), "application/json", null);
      assertThat(garbage.statusCode()).isEqualTo(400);
      assertThat(garbage.body()).startsWith("{\"code\":3,").contains("not an OTLP");

      List<MetricSample> samples =
          SampleReader.read(
              kafka.bootstrapServers(),
              kafka.schemaRegistryUrl(),
              topic,
              s -> s.stream().anyMatch(x -> x.getName().equals("queue_depth")),
              Duration.ofSeconds(30));
      assertThat(value(samples, "queue_depth", Map.of("job", "curl"))).contains(12.0);
      assertThat(samples).noneMatch(s -> s.getName().startsWith("latency"));
    }
  }

  private static SdkMeterProvider provider(String service, String instance, MetricExporter exp) {
    return SdkMeterProvider.builder()
        .setResource(
            Resource.getDefault()
                .merge(
                    Resource.create(
                        Attributes.builder()
                            .put("service.name", service)
                            .put("service.namespace", "shop")
                            .put("service.instance.id", instance)
                            .build())))
        .registerMetricReader(
            PeriodicMetricReader.builder(exp).setInterval(Duration.ofHours(1)).build())
        .build();
  }

  private static MetricsPublisher publisher(KafkaCluster kafka, String topic) {
    return MetricsPublisher.start(
        PublisherConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTopic(topic));
  }

  private static PushGateway gateway(KafkaCluster kafka, MetricsPublisher publisher) {
    PushGatewayConfig config =
        PushGatewayConfig.defaults()
            .withListen("127.0.0.1", 0)
            .withGroupsTopic(kafka.uniqueTopic("groups"))
            .withOtlp(OtlpConfig.defaults().withGrpcPort(0));
    return PushGateway.start(config, publisher, KafkaConnection.of(kafka.bootstrapServers()));
  }

  private HttpResponse<String> post(String url, byte[] body, String type, String encoding)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (encoding != null) {
      request.header("Content-Encoding", encoding);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] gzip(String text) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private static Optional<MetricSample> find(
      List<MetricSample> samples, String name, Map<String, String> labels) {
    Predicate<MetricSample> match =
        s ->
            s.getName().equals(name)
                && labels.entrySet().stream()
                    .allMatch(e -> e.getValue().equals(s.getLabels().get(e.getKey())));
    return samples.stream().filter(match).reduce((a, b) -> b);
  }

  private static Optional<Double> value(
      List<MetricSample> samples, String name, Map<String, String> labels) {
    return find(samples, name, labels).map(MetricSample::getValue);
  }
}
