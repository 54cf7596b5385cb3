package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.testkit.PrometheusProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue #16's stock consumer: the pipeline's topics read by clients no one here wrote, kafkajs with
 * Confluent's own JavaScript Schema Registry serdes ({@code @confluentinc/schemaregistry}, from
 * npm, pinned in {@code src/test/js/package-lock.json}) decoding {@code metrics.samples} and every
 * rollup topic through the embedded registry. The pushed samples are 70 minutes old (within the 2 h
 * allowed lateness), so the 1m, 5m and 1h windows are all closed on arrival.
 */
class StockConsumerIT {

  private static final Logger LOG = LoggerFactory.getLogger(StockConsumerIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long HOUR = 3_600_000;

  @TempDir Path dir;

  @Test
  void confluentsJavaScriptSerdesDecodeSamplesAndEveryRollupTopic() throws Exception {
    Path node = PrometheusProcess.binary("node");
    Path npm = PrometheusProcess.binary("npm");
    Path js = dir.resolve("stock-consumer");
    Files.createDirectories(js);
    for (String file : List.of("package.json", "package-lock.json", "consume.js")) {
      Files.copy(
          Path.of("src/test/js", file), js.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    run(js, List.of(npm.toString(), "ci", "--ignore-scripts", "--no-audit", "--no-fund"), 300);

    long at = System.currentTimeMillis() - 70 * 60_000L;
    long hour = at / HOUR * HOUR;
    try (RunCommand.Running running = TestPipelines.start(dir.resolve("data"))) {
      String body =
          "stock_gauge{shard=\"a\"} 42.5 "
              + at
              + "\nstock_gauge{shard=\"a\"} 40 "
              + (at + 1000)
              + "\n";
      HttpResponse<String> pushed =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(running.pushUrl() + "/metrics/job/stock"))
                      .PUT(HttpRequest.BodyPublishers.ofString(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .ignoreExceptions()
          .until(() -> storedHour(hour));

      List<String> topics =
          List.of(
              "metrics.samples", "metrics.rollups.1m", "metrics.rollups.5m", "metrics.rollups.1h");
      List<String> command = new ArrayList<>(List.of(node.toString(), "consume.js"));
      command.add(running.bootstrapServers());
      command.add(running.schemaRegistryUrl());
      command.addAll(topics);
      List<JsonNode> records = new ArrayList<>();
      for (String line : run(js, command, 120).split("\n")) {
        if (line.startsWith("{")) {
          records.add(JSON.readTree(line));
        }
      }
      records.stream().limit(8).forEach(r -> LOG.info("stock consumer read: {}", r));

      // metrics.samples holds SampleBatch records (no key): the stock deserializer reads the
      // batch, and each item carries its series id.
      JsonNode batch =
          records.stream()
              .filter(r -> r.get("topic").asText().equals("metrics.samples"))
              .filter(r -> r.get("key").isNull() && r.at("/value/samples").isArray())
              .filter(r -> itemOf(r, "stock_gauge{job=\"stock\",shard=\"a\"}") != null)
              .reduce((a, b) -> b)
              .orElseThrow(
                  () -> new AssertionError("no sample batch of stock_gauge in " + records));
      JsonNode sample = itemOf(batch, "stock_gauge{job=\"stock\",shard=\"a\"}");
      assertThat(sample.at("/name").asText()).isEqualTo("stock_gauge");
      assertThat(sample.at("/labels/shard").asText()).isEqualTo("a");
      assertThat(sample.at("/labels/job").asText()).isEqualTo("stock");
      assertThat(sample.at("/origin").asText()).isEqualTo("PUSH_PROMETHEUS");
      assertThat(sample.at("/timestamp").asLong()).isIn(at, at + 1000);
      for (String resolution : List.of("1m", "5m", "1h")) {
        JsonNode rollup =
            find(
                records, "metrics.rollups." + resolution, "stock_gauge{job=\"stock\",shard=\"a\"}");
        assertThat(rollup.at("/value/resolution").asText()).isEqualTo(resolution);
        assertThat(rollup.at("/value/count").asLong()).as(resolution).isEqualTo(2);
        assertThat(rollup.at("/value/max").asDouble()).isEqualTo(42.5);
        assertThat(rollup.at("/value/min").asDouble()).isEqualTo(40.0);
        assertThat(rollup.at("/value/last").asDouble()).isEqualTo(40.0);
      }
      assertThat(
              find(records, "metrics.rollups.1h", "stock_gauge{job=\"stock\",shard=\"a\"}")
                  .at("/value/windowStart")
                  .asLong())
          .isEqualTo(hour);
    }
  }

  /** Whether the sink stored the 1h rollup: then every rollup topic has its record. */
  private boolean storedHour(long hour) throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + dir.resolve("data").resolve("metrics.db"));
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM rollups r JOIN metric_series s ON s.id = r.series_id WHERE"
                    + " r.resolution = '1h' AND r.window_start = ? AND s.series_key LIKE"
                    + " 'stock_gauge{%'")) {
      ps.setLong(1, hour);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getLong(1) > 0;
      }
    }
  }

  private static JsonNode find(List<JsonNode> records, String topic, String key) {
    return records.stream()
        .filter(r -> r.get("topic").asText().equals(topic) && r.get("key").asText().equals(key))
        .reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no record of " + key + " in " + topic));
  }

  /** The item of a sample batch (as the stock consumer printed it) with this series id, or null. */
  private static JsonNode itemOf(JsonNode batch, String seriesId) {
    JsonNode found = null;
    for (JsonNode item : batch.at("/value/samples")) {
      JsonNode id = item.path("seriesId");
      // avsc, under Confluent's serdes, may print a union value wrapped as {"string": ...}.
      if ((id.isObject() ? id.path("string") : id).asText().equals(seriesId)) {
        found = item;
      }
    }
    return found;
  }

  /** Runs a command in {@code dir}; its output, or an assertion error with it on failure. */
  private static String run(Path dir, List<String> command, int seconds)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir.getParent(), "out", ".txt");
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    boolean done = process.waitFor(seconds, TimeUnit.SECONDS);
    if (!done) {
      process.destroyForcibly();
    }
    String output = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(done && process.exitValue() == 0)
        .as("%s exited %s:%n%s", command, done ? process.exitValue() : "(timed out)", output)
        .isTrue();
    return output;
  }
}
