package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.metricspipeline.formats.proto.remote.Remote.Label;
import dev.metricspipeline.formats.proto.remote.Remote.Sample;
import dev.metricspipeline.formats.proto.remote.Remote.TimeSeries;
import dev.metricspipeline.formats.proto.remote.Remote.WriteRequest;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * The inputs that once stopped all aggregation: a sample stamped before 1970 and one far in the
 * future, through every way in, against a running {@code run}. Every HTTP endpoint refuses them
 * with 400 naming the series and the time; the Kafka paths (a raw topic, and a producer of our own
 * Avro that bypasses every check) send them to {@code metrics.rejected}; the stages stay ready, and
 * a good series pushed afterwards gets its rollup.
 */
class HostileTimestampsIT {

  private static final long BEFORE_1970 = -9223372036854775806L;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir Path dataDir;

  private RunCommand.Running start() throws Exception {
    return TestPipelines.start(dataDir, "--rollup-grace", "PT2S");
  }

  private static HttpResponse<String> post(String url, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String url, String body) throws Exception {
    return post(url, body.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] remoteWrite(String name, long timestamp) throws Exception {
    WriteRequest request =
        WriteRequest.newBuilder()
            .addTimeseries(
                TimeSeries.newBuilder()
                    .addLabels(Label.newBuilder().setName("__name__").setValue(name))
                    .addLabels(Label.newBuilder().setName("job").setValue("rw"))
                    .addSamples(Sample.newBuilder().setValue(1).setTimestamp(timestamp)))
            .build();
    return Snappy.compress(request.toByteArray());
  }

  private static List<JsonNode> tail(RunCommand.Running running, String... args) throws Exception {
    return TestPipelines.tail(running, args);
  }

  @Test
  void negativeAndFutureTimestampsAreRefusedEverywhereAndTheStagesGoOn() throws Exception {
    try (RunCommand.Running running = start()) {
      String push = running.pushUrl();
      long future = System.currentTimeMillis() + 3_600_000;

      // Every HTTP way in: 400, the series and the time named, nothing published.
      List<HttpResponse<String>> refused =
          List.of(
              post(push + "/metrics/job/bad", "m 1 " + BEFORE_1970 + "\n"),
              post(push + "/metrics/job/bad", "m 1 " + future + "\n"),
              post(push + "/write", "m v=1 " + BEFORE_1970),
              post(push + "/api/v2/write?precision=ms", "m v=1 " + future),
              post(
                  push + "/api/v1/write",
                  remoteWrite("m", BEFORE_1970),
                  "Content-Type",
                  "application/x-protobuf",
                  "Content-Encoding",
                  "snappy"),
              post(
                  push + "/api/v1/write",
                  remoteWrite("m", future),
                  "Content-Type",
                  "application/x-protobuf",
                  "Content-Encoding",
                  "snappy"));
      assertThat(refused)
          .allSatisfy(
              r -> {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
                assertThat(r.body()).containsPattern("sample m\\S* has timestamp -?\\d+ ms");
              });
      assertThat(refused.get(0).body())
          .contains("sample m{job=\"bad\"} has timestamp -9223372036854775806 ms, before 1970");
      assertThat(refused.get(5).body()).contains("ahead of the receiving clock");

      // The Kafka ways in: a raw topic for the normalizer, and a producer of our own Avro
      // straight into metrics.samples, which nothing checked before the streams stage.
      try (KafkaProducer<byte[], byte[]> raw =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, running.bootstrapServers()),
              new ByteArraySerializer(),
              new ByteArraySerializer())) {
        raw.send(
            new ProducerRecord<>(
                Topics.RAW_INPUTS.get(0),
                ("m v=1 " + BEFORE_1970).getBytes(StandardCharsets.UTF_8)));
        raw.flush();
      }
      SchemaRegistryClient registry =
          new SchemaRegistryClient(RegistryClientConfig.of(running.schemaRegistryUrl()));
      try (KafkaProducer<String, MetricSample> direct =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, running.bootstrapServers()),
              new StringSerializer(),
              new AvroSerializer<>(registry, true))) {
        for (long ts : List.of(BEFORE_1970, future)) {
          MetricSample sample =
              MetricSample.newBuilder()
                  .setName("direct")
                  .setLabels(new TreeMap<>(Map.of("job", "kafka")))
                  .setType(SampleType.GAUGE)
                  .setValue(1)
                  .setTimestamp(ts)
                  .setIngestTimestamp(System.currentTimeMillis())
                  .setOrigin(Origin.PUSH_CLIENT)
                  .build();
          direct.send(new ProducerRecord<>(Topics.SAMPLES, "direct{job=\"kafka\"}", sample));
        }
        direct.flush();
      }
      List<JsonNode> rejects =
          tail(running, Topics.REJECTED, "--from-beginning", "--max", "3", "--idle-timeout", "60");
      assertThat(rejects)
          .extracting(r -> r.at("/value/reason").asText())
          .containsExactly("INVALID_TIMESTAMP", "INVALID_TIMESTAMP", "INVALID_TIMESTAMP");
      assertThat(rejects)
          .extracting(r -> r.at("/value/sourceTopic").asText())
          .containsExactlyInAnyOrder(Topics.RAW_INPUTS.get(0), Topics.SAMPLES, Topics.SAMPLES);

      // A good series afterwards still gets its rollup, and the stages stay ready.
      HttpResponse<String> good = post(push + "/metrics/job/good", "after_the_storm 42\n");
      assertThat(good.statusCode()).isEqualTo(200);
      List<JsonNode> rollups =
          tail(
              running,
              Topics.rollups("1m"),
              "--from-beginning",
              "--max",
              "1",
              "--idle-timeout",
              "120");
      assertThat(rollups)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.get("key").asText()).isEqualTo("after_the_storm{job=\"good\"}");
                assertThat(r.at("/value/max").asDouble()).isEqualTo(42.0);
              });
      await("the gateway's /-/ready, which covers every stage of run")
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  HTTP.send(
                              HttpRequest.newBuilder(URI.create(push + "/-/ready")).build(),
                              HttpResponse.BodyHandlers.ofString())
                          .statusCode()
                      == 200);
      String metrics = TestPipelines.selfMetrics(running);
      assertThat(metrics)
          .contains("stage_up{stage=\"streams\"} 1.0")
          .contains("stage_up{stage=\"normalizer\"} 1.0")
          .contains("stage_faults_total{stage=\"streams\"} 0.0")
          .containsPattern("streams_samples_dropped_total\\{reason=\"invalid_timestamp\"} 2.0");
    }
  }
}
