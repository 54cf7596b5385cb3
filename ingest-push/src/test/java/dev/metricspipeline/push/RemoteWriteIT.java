package dev.metricspipeline.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.formats.proto.remote.v2.RemoteV2;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import dev.metricspipeline.testkit.PrometheusProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

@ExtendWith(KafkaExtension.class)
class RemoteWriteIT {

  private final HttpClient http = HttpClient.newHttpClient();

  private int post(String url, byte[] body, String contentType) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      request.header("Content-Type", contentType).header("Content-Encoding", "snappy");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void debiansPrometheusRemoteWritesItsOwnMetricsToUs(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    PrometheusProcess.binary();
    String topic = kafka.uniqueTopic("samples");
    kafka.createTopic(topic, 2);
    PublisherConfig publisherConfig =
        PublisherConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTopic(topic);
    PushGatewayConfig config =
        PushGatewayConfig.defaults()
            .withListen("127.0.0.1", 0)
            .withGroupsTopic(kafka.uniqueTopic("groups"))
            .withLimits(1 << 20, 1 << 20, 100_000);
    try (MetricsPublisher publisher = MetricsPublisher.start(publisherConfig);
        PushGateway gateway =
            PushGateway.start(config, publisher, KafkaConnection.of(kafka.bootstrapServers()))) {
      String write = gateway.url() + "/api/v1/write";

      assertThat(post(write, Snappy.compress(new byte[0]), "application/x-protobuf"))
          .as("empty request")
          .isEqualTo(204);
      assertThat(post(write, new byte[] {1, 2, 3}, "text/plain"))
          .as("wrong content type")
          .isEqualTo(415);
      assertThat(
              post(write, Snappy.compress(new byte[] {(byte) 0xff, 1}), "application/x-protobuf"))
          .as("not a WriteRequest")
          .isEqualTo(400);
      byte[] bomb = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f, 0x00, 0x01};
      assertThat(post(write, bomb, "application/x-protobuf")).as("snappy bomb").isEqualTo(413);
      assertThat(post(write, Snappy.compress(new byte[0]), "application/x-protobuf;proto=x.Y"))
          .as("another message")
          .isEqualTo(415);

      // remote_write 2.0: typed from the series' own metadata, answered with the written counts.
      RemoteV2.Request v2 =
          RemoteV2.Request.newBuilder()
              .addAllSymbols(List.of("", "__name__", "v2_jobs_total", "job", "batch"))
              .addTimeseries(
                  RemoteV2.TimeSeries.newBuilder()
                      .addAllLabelsRefs(List.of(1, 2, 3, 4))
                      .addSamples(
                          RemoteV2.Sample.newBuilder()
                              .setValue(3)
                              .setTimestamp(System.currentTimeMillis()))
                      .setMetadata(
                          RemoteV2.Metadata.newBuilder()
                              .setType(RemoteV2.Metadata.MetricType.METRIC_TYPE_COUNTER)))
              .build();
      HttpResponse<Void> written =
          http.send(
              HttpRequest.newBuilder(URI.create(write))
                  .header(
                      "Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request")
                  .header("Content-Encoding", "snappy")
                  .header("X-Prometheus-Remote-Write-Version", "2.0.0")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(Snappy.compress(v2.toByteArray())))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(written.statusCode()).isEqualTo(204);
      assertThat(written.headers().firstValue("X-Prometheus-Remote-Write-Samples-Written"))
          .contains("1");
      assertThat(written.headers().firstValue("X-Prometheus-Remote-Write-Histograms-Written"))
          .contains("0");
      MetricSample v2Sample =
          SampleReader.read(
                  kafka.bootstrapServers(),
                  kafka.schemaRegistryUrl(),
                  topic,
                  s -> s.stream().anyMatch(x -> x.getName().equals("v2_jobs_total")),
                  Duration.ofSeconds(30))
              .stream()
              .filter(x -> x.getName().equals("v2_jobs_total"))
              .findFirst()
              .orElseThrow();
      assertThat(v2Sample.getType()).isEqualTo(SampleType.COUNTER);
      assertThat(v2Sample.getLabels()).isEqualTo(Map.of("job", "batch"));

      String prometheusConfig =
          """
          global:
            scrape_interval: 1s
          scrape_configs:
            - job_name: self
              static_configs:
                - targets: ['127.0.0.1:1']
          remote_write:
            - url: %s
              queue_config:
                batch_send_deadline: 1s
                min_backoff: 100ms
              metadata_config:
                send_interval: 1s
          """
              .formatted(write);
      try (PrometheusProcess prometheus = PrometheusProcess.start(dir, prometheusConfig)) {
        List<MetricSample> samples =
            SampleReader.read(
                kafka.bootstrapServers(),
                kafka.schemaRegistryUrl(),
                topic,
                s -> s.stream().anyMatch(x -> x.getName().equals("up")),
                Duration.ofSeconds(90));
        MetricSample up =
            samples.stream().filter(s -> s.getName().equals("up")).findFirst().orElseThrow();
        assertThat(up.getLabels())
            .containsEntry("job", "self")
            .containsEntry("instance", "127.0.0.1:1");
        assertThat(up.getValue()).isEqualTo(0.0);
        assertThat(up.getOrigin()).isEqualTo(Origin.PUSH_REMOTE_WRITE);
        assertThat(up.getPushId()).hasSize(32);
        assertThat(up.getTimestamp()).isPositive();
        assertThat(prometheus.isAlive()).as("prometheus still running").isTrue();
      }
    }
  }
}
