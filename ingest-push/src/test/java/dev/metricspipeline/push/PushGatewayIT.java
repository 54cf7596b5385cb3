package dev.metricspipeline.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.embedded.EmbeddedKafka;
import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(KafkaExtension.class)
class PushGatewayIT {

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> send(String method, String url, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** What curl --data-binary sends: POST with curl's default form content type. */
  private HttpResponse<String> curl(String url, String body) throws Exception {
    return send("POST", url, utf8(body), "Content-Type", "application/x-www-form-urlencoded");
  }

  private static String samplesTopic(KafkaCluster kafka) {
    String topic = kafka.uniqueTopic("samples");
    kafka.createTopic(topic, 1);
    return topic;
  }

  private static PublisherConfig publisherConfig(KafkaCluster kafka, String topic) {
    return PublisherConfig.defaults(
            KafkaConnection.of(kafka.bootstrapServers()),
            RegistryClientConfig.of(kafka.schemaRegistryUrl()))
        .withTopic(topic);
  }

  private static PushGatewayConfig gatewayConfig(KafkaCluster kafka) {
    return PushGatewayConfig.defaults()
        .withListen("127.0.0.1", 0)
        .withGroupsTopic(kafka.uniqueTopic("groups"));
  }

  @Test
  void pushgatewayApiOverHttp(KafkaCluster kafka) throws Exception {
    String samplesTopic = kafka.uniqueTopic("samples");
    String groupsTopic = kafka.uniqueTopic("groups");
    kafka.createTopic(samplesTopic, 2);
    PublisherConfig publisherConfig =
        PublisherConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTopic(samplesTopic);
    PushGatewayConfig config =
        PushGatewayConfig.defaults()
            .withListen("127.0.0.1", 0)
            .withGroupsTopic(groupsTopic)
            .withLimits(4096, 1 << 20, 1000)
            .withMemoSeries(1);
    try (MetricsPublisher publisher = MetricsPublisher.start(publisherConfig)) {
      try (PushGateway gateway =
          PushGateway.start(config, publisher, KafkaConnection.of(kafka.bootstrapServers()))) {
        String base = gateway.url();
        HttpResponse<String> seed =
            curl(base + "/metrics/job/batch_job", "job_duration_seconds 12.5");
        assertThat(seed.statusCode()).as(seed.body()).isEqualTo(200);
        assertThat(seed.version())
            .as("the JDK client asks to upgrade to cleartext HTTP/2; the gateway stays on 1.1")
            .isEqualTo(HttpClient.Version.HTTP_1_1);

        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
          out.write(utf8("# TYPE temp gauge\ntemp{room=\"a\"} 21\ntemp{room=\"b\"} 19\n"));
        }
        HttpResponse<String> gzipped =
            send(
                "PUT",
                base + "/metrics/job/sensors/site@base64/L2xhYi8x",
                gz.toByteArray(),
                "Content-Encoding",
                "gzip");
        assertThat(gzipped.statusCode()).as(gzipped.body()).isEqualTo(200);

        HttpResponse<String> bad = curl(base + "/metrics/job/batch_job", "ok 1\nbroken{a=1} 2\n");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body())
            .isEqualTo(
                "text format parsing error in line 2, column 10: expected '\"' to start the value of label a, got \"1\"\n");

        HttpResponse<String> tooBig = curl(base + "/metrics/job/big", "x 1\n".repeat(2000));
        assertThat(tooBig.statusCode()).isEqualTo(413);

        HttpResponse<String> otherProto =
            send(
                "PUT",
                base + "/metrics/job/p",
                new byte[] {1, 2},
                "Content-Type",
                "application/vnd.google.protobuf; proto=some.Other; encoding=delimited");
        assertThat(otherProto.statusCode()).isEqualTo(415);
        HttpResponse<String> brokenProto =
            send(
                "PUT",
                base + "/metrics/job/p",
                new byte[] {5, 1, 2},
                "Content-Type",
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited");
        assertThat(brokenProto.statusCode()).isEqualTo(400);
        assertThat(brokenProto.body()).startsWith("protobuf parsing error: message 1");

        HttpResponse<String> noJob = curl(base + "/metrics/job/", "x 1");
        assertThat(noJob.statusCode()).isEqualTo(400);
        assertThat(noJob.body()).contains("the job name must not be empty");

        HttpResponse<String> groups = send("GET", base + "/api/v1/metrics", new byte[0]);
        assertThat(groups.statusCode()).isEqualTo(200);
        assertThat(groups.body())
            .contains("\"job\":\"batch_job\"")
            .contains("\"site\":\"/lab/1\"")
            .contains("job_duration_seconds");

        HttpResponse<String> self = send("GET", base + "/metrics", new byte[0]);
        assertThat(self.body())
            .contains(
                "push_http_requests_total{code=\"200\",method=\"POST\",path=\"/metrics/job\"}")
            .contains("push_requests_rejected_total{reason=\"parse\"}")
            // batch_job's one series took the bound: the sensors group, pushed next, got no memo
            .contains("push_memo_series 1.0");
        assertThat(send("GET", base + "/-/ready", new byte[0]).statusCode()).isEqualTo(200);
        assertThat(send("GET", base + "/-/healthy", new byte[0]).statusCode()).isEqualTo(200);
      }

      List<MetricSample> samples =
          SampleReader.read(
              kafka.bootstrapServers(),
              kafka.schemaRegistryUrl(),
              samplesTopic,
              s -> s.size() >= 8,
              Duration.ofSeconds(30));
      MetricSample seed =
          samples.stream()
              .filter(s -> s.getName().equals("job_duration_seconds"))
              .findFirst()
              .orElseThrow();
      assertThat(seed.getLabels()).isEqualTo(Map.of("job", "batch_job"));
      assertThat(seed.getValue()).isEqualTo(12.5);
      assertThat(samples)
          .filteredOn(s -> s.getName().equals("temp"))
          .extracting(s -> s.getLabels().get("site"))
          .containsOnly("/lab/1");
      assertThat(samples)
          .noneMatch(
              s ->
                  s.getName().equals("ok")
                      || s.getName().equals("broken")
                      || s.getName().equals("x"));

      // A restarted gateway knows the groups: replacing one ends the series it no longer has.
      try (PushGateway restarted =
          PushGateway.start(config, publisher, KafkaConnection.of(kafka.bootstrapServers()))) {
        HttpResponse<String> replace =
            send(
                "PUT",
                restarted.url() + "/metrics/job/sensors/site@base64/L2xhYi8x",
                utf8("temp{room=\"a\"} 22\n"));
        assertThat(replace.statusCode()).isEqualTo(200);
      }
      List<MetricSample> after =
          SampleReader.read(
              kafka.bootstrapServers(),
              kafka.schemaRegistryUrl(),
              samplesTopic,
              s ->
                  s.stream()
                      .anyMatch(
                          x ->
                              StaleMarker.isStale(x.getValue())
                                  && "b".equals(x.getLabels().get("room"))),
              Duration.ofSeconds(30));
      assertThat(after)
          .filteredOn(s -> StaleMarker.isStale(s.getValue()))
          .extracting(s -> SeriesKey.standard().idOf(s))
          .containsExactly("temp{job=\"sensors\",room=\"b\",site=\"/lab/1\"}");
    }
  }

  @Test
  void influxLinesAsTelegrafSendsThem(KafkaCluster kafka) throws Exception {
    String samplesTopic = samplesTopic(kafka);
    PublisherConfig publisherConfig = publisherConfig(kafka, samplesTopic);
    PushGatewayConfig config = gatewayConfig(kafka);
    try (MetricsPublisher publisher = MetricsPublisher.start(publisherConfig);
        PushGateway gateway =
            PushGateway.start(config, publisher, KafkaConnection.of(kafka.bootstrapServers()))) {
      // outputs.influxdb (v1): plain body, precision in the query.
      HttpResponse<String> v1 =
          send(
              "POST",
              gateway.url() + "/write?db=telegraf&precision=s",
              utf8("cpu,cpu=cpu-total,host=h1 usage_idle=97.5,usage_user=1.5 1700000000\n"));
      assertThat(v1.statusCode()).as(v1.body()).isEqualTo(204);
      // outputs.influxdb_v2: gzip by default, nanoseconds.
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
        out.write(utf8("mem,host=h1 used_percent=41.5,available=1024i 1700000000000000000\n"));
      }
      HttpResponse<String> v2 =
          send(
              "POST",
              gateway.url() + "/api/v2/write?org=o&bucket=b&precision=ns",
              gz.toByteArray(),
              "Content-Encoding",
              "gzip");
      assertThat(v2.statusCode()).as(v2.body()).isEqualTo(204);
      HttpResponse<String> bad =
          send("POST", gateway.url() + "/write", utf8("ok v=1\nbroken v=abc\n"));
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).startsWith("influx: line 2, column 10: expected a field value");

      List<MetricSample> samples =
          SampleReader.read(
              kafka.bootstrapServers(),
              kafka.schemaRegistryUrl(),
              samplesTopic,
              s -> s.size() >= 4,
              Duration.ofSeconds(30));
      Map<String, Double> byId = new java.util.TreeMap<>();
      samples.forEach(x -> byId.put(SeriesKey.standard().idOf(x), x.getValue()));
      assertThat(byId)
          .containsOnly(
              Map.entry("cpu_usage_idle{cpu=\"cpu-total\",host=\"h1\"}", 97.5),
              Map.entry("cpu_usage_user{cpu=\"cpu-total\",host=\"h1\"}", 1.5),
              Map.entry("mem_used_percent{host=\"h1\"}", 41.5),
              Map.entry("mem_available{host=\"h1\"}", 1024.0));
      assertThat(samples)
          .allSatisfy(
              x -> {
                assertThat(x.getTimestamp()).isEqualTo(1_700_000_000_000L);
                assertThat(x.getOrigin())
                    .isEqualTo(dev.metricspipeline.schemas.avro.Origin.PUSH_INFLUX);
              });
    }
  }

  @Test
  void twoInstancesShareTheGroups(KafkaCluster kafka) throws Exception {
    String samplesTopic = samplesTopic(kafka);
    PublisherConfig publisherConfig = publisherConfig(kafka, samplesTopic);
    PushGatewayConfig config = gatewayConfig(kafka);
    try (MetricsPublisher publisherA = MetricsPublisher.start(publisherConfig);
        MetricsPublisher publisherB =
            MetricsPublisher.start(publisherConfig.withTransactionalId("b-" + System.nanoTime()));
        PushGateway a =
            PushGateway.start(config, publisherA, KafkaConnection.of(kafka.bootstrapServers()));
        PushGateway b =
            PushGateway.start(config, publisherB, KafkaConnection.of(kafka.bootstrapServers()))) {
      assertThat(send("PUT", a.url() + "/metrics/job/shared", utf8("x 1\ny 2\n")).statusCode())
          .isEqualTo(200);
      org.awaitility.Awaitility.await("instance B sees the group pushed to A")
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  send("GET", b.url() + "/api/v1/metrics", new byte[0])
                      .body()
                      .contains("\"name\":\"y\""));
      assertThat(send("PUT", b.url() + "/metrics/job/shared", utf8("x 3\n")).statusCode())
          .isEqualTo(200);
      List<MetricSample> samples =
          SampleReader.read(
              kafka.bootstrapServers(),
              kafka.schemaRegistryUrl(),
              samplesTopic,
              s -> s.stream().anyMatch(x -> StaleMarker.isStale(x.getValue())),
              Duration.ofSeconds(30));
      assertThat(samples)
          .filteredOn(x -> StaleMarker.isStale(x.getValue()))
          .extracting(MetricSample::getName)
          .containsExactly("y");
    }
  }

  @Test
  void clientJavasPushgatewayClientPushesToUs(KafkaCluster kafka) throws Exception {
    String samplesTopic = samplesTopic(kafka);
    PublisherConfig publisherConfig = publisherConfig(kafka, samplesTopic);
    PushGatewayConfig config = gatewayConfig(kafka);
    try (MetricsPublisher publisher = MetricsPublisher.start(publisherConfig);
        PushGateway gateway =
            PushGateway.start(config, publisher, KafkaConnection.of(kafka.bootstrapServers()))) {
      io.prometheus.metrics.model.registry.PrometheusRegistry registry =
          new io.prometheus.metrics.model.registry.PrometheusRegistry();
      io.prometheus.metrics.core.metrics.Counter processed =
          io.prometheus.metrics.core.metrics.Counter.builder()
              .name("jobs_processed_total")
              .help("Processed jobs")
              .labelNames("status")
              .register(registry);
      processed.labelValues("ok").inc(3);
      io.prometheus.metrics.core.metrics.Histogram duration =
          io.prometheus.metrics.core.metrics.Histogram.builder()
              .name("job_step_seconds")
              .help("Step durations")
              .classicUpperBounds(0.1, 1.0)
              .register(registry);
      duration.observe(0.05);
      duration.observe(0.5);
      io.prometheus.metrics.exporter.pushgateway.PushGateway client =
          io.prometheus.metrics.exporter.pushgateway.PushGateway.builder()
              .address("127.0.0.1:" + gateway.port())
              .job("nightly/import")
              .groupingKey("instance", "worker-1")
              .registry(registry)
              .build();
      client.push();

      List<MetricSample> samples =
          SampleReader.read(
              kafka.bootstrapServers(),
              kafka.schemaRegistryUrl(),
              samplesTopic,
              s -> s.stream().anyMatch(x -> x.getName().equals("job_step_seconds_count")),
              Duration.ofSeconds(30));
      Map<String, Double> byId = new java.util.TreeMap<>();
      samples.forEach(x -> byId.put(SeriesKey.standard().idOf(x), x.getValue()));
      assertThat(byId)
          .containsEntry(
              "jobs_processed_total{instance=\"worker-1\",job=\"nightly/import\",status=\"ok\"}",
              3.0)
          .containsEntry(
              "job_step_seconds_bucket{instance=\"worker-1\",job=\"nightly/import\",le=\"0.1\"}",
              1.0)
          .containsEntry(
              "job_step_seconds_bucket{instance=\"worker-1\",job=\"nightly/import\",le=\"1\"}", 2.0)
          .containsEntry(
              "job_step_seconds_bucket{instance=\"worker-1\",job=\"nightly/import\",le=\"+Inf\"}",
              2.0)
          .containsEntry(
              "job_step_seconds_count{instance=\"worker-1\",job=\"nightly/import\"}", 2.0)
          .containsEntry(
              "job_step_seconds_sum{instance=\"worker-1\",job=\"nightly/import\"}", 0.55);
    }
  }

  @Test
  void kafkaStoppedMeans503AndNothingVisible(KafkaCluster shared, @TempDir Path dir)
      throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, port, Map.of());
    String registryUrl;
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), "127.0.0.1", 0)) {
      registryUrl = registry.url();
      PublisherConfig publisherConfig =
          PublisherConfig.defaults(
                  KafkaConnection.of(kafka.bootstrapServers()),
                  RegistryClientConfig.of(registryUrl))
              .withTimeout(Duration.ofSeconds(3));
      new KafkaTopics(kafka.bootstrapServers()).create(publisherConfig.topic());
      try (MetricsPublisher publisher = MetricsPublisher.start(publisherConfig);
          PushGateway gateway =
              PushGateway.start(
                  PushGatewayConfig.defaults().withListen("127.0.0.1", 0),
                  publisher,
                  KafkaConnection.of(kafka.bootstrapServers()))) {
        assertThat(curl(gateway.url() + "/metrics/job/before", "before_stop 1").statusCode())
            .isEqualTo(200);

        kafka.close();
        HttpResponse<String> during = curl(gateway.url() + "/metrics/job/during", "during_stop 1");
        assertThat(during.statusCode()).as(during.body()).isEqualTo(503);
        assertThat(during.headers().firstValue("Retry-After")).contains("5");
        assertThat(send("GET", gateway.url() + "/-/ready", new byte[0]).statusCode())
            .isEqualTo(503);

        kafka = EmbeddedKafka.start(dir, port, Map.of());
        HttpResponse<String> afterRestart =
            curl(gateway.url() + "/metrics/job/after", "after_restart 1");
        assertThat(afterRestart.statusCode()).as(afterRestart.body()).isEqualTo(200);

        List<MetricSample> samples =
            SampleReader.read(
                kafka.bootstrapServers(),
                registryUrl,
                publisherConfig.topic(),
                s -> s.stream().anyMatch(x -> x.getName().equals("after_restart")),
                Duration.ofSeconds(30));
        assertThat(samples)
            .extracting(MetricSample::getName)
            .contains("before_stop", "after_restart")
            .doesNotContain("during_stop");
      }
    } finally {
      kafka.close();
    }
    assertThat(shared.bootstrapServers()).isNotEqualTo(kafka.bootstrapServers());
  }
}
