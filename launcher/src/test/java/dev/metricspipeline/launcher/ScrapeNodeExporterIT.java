package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.testkit.PrometheusProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The seed's pull config, unchanged but for the address, against Debian's real node_exporter under
 * {@code run}: node_* samples with job="my_app" and up 1 in metrics.samples; node_exporter stopped:
 * up 0 and stale markers for its series. The default 1m interval makes this up to two minutes long.
 */
class ScrapeNodeExporterIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static List<JsonNode> tail(RunCommand.Running running) throws Exception {
    StringWriter out = new StringWriter();
    int code =
        Main.commandLine()
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(new StringWriter()))
            .execute(
                "tail",
                Topics.SAMPLES,
                "--from-beginning",
                "--idle-timeout",
                "2",
                "--bootstrap-servers",
                running.bootstrapServers(),
                "--schema-registry",
                running.schemaRegistryUrl());
    assertThat(code).isZero();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.toString().split("\n")) {
      if (!line.isBlank()) {
        lines.add(JSON.readTree(line).get("value"));
      }
    }
    return lines;
  }

  private static boolean has(List<JsonNode> samples, String name, String value, String job) {
    return samples.stream()
        .anyMatch(
            s ->
                s.get("name").asText().equals(name)
                    && s.at("/labels/job").asText().equals(job)
                    && s.get("value").asText().equals(value));
  }

  @Test
  void theSeedConfigScrapesNodeExporterAndMarksItStaleWhenItStops() throws Exception {
    int port = PrometheusProcess.freePort();
    PrometheusProcess exporter = PrometheusProcess.nodeExporter(dir, port);
    try {
      String instance = "127.0.0.1:" + port;
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  http.send(
                              HttpRequest.newBuilder(URI.create("http://" + instance + "/metrics"))
                                  .build(),
                              HttpResponse.BodyHandlers.discarding())
                          .statusCode()
                      == 200);
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          "scrape_configs: [{job_name: 'my_app', static_configs: [{targets: ['"
              + instance
              + "']}]}]\n");
      RunCommand run = new RunCommand();
      new CommandLine(run)
          .parseArgs(
              "--data-dir", dir.resolve("data").toString(),
              "--kafka-port", "0",
              "--schema-registry-port", "0",
              "--push-port", "0",
              "--otlp-grpc-port", "0",
              "--query-port", "0",
              "--scraper-port", "0",
              "--partitions", "2",
              "--scrape-config", config.toString());
      try (RunCommand.Running running = run.start()) {
        // The first scrape comes at the target's offset within the 1m default interval.
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofSeconds(3))
            .until(() -> has(tail(running), "up", "1.0", "my_app"));
        List<JsonNode> samples = tail(running);
        List<JsonNode> node =
            samples.stream().filter(s -> s.get("name").asText().startsWith("node_")).toList();
        assertThat(node).hasSizeGreaterThan(100);
        assertThat(node)
            .allSatisfy(
                s -> {
                  assertThat(s.at("/labels/job").asText()).isEqualTo("my_app");
                  assertThat(s.at("/labels/instance").asText()).isEqualTo(instance);
                  assertThat(s.get("origin").asText()).isEqualTo("PULL");
                });
        JsonNode targets =
            JSON.readTree(
                http.send(
                        HttpRequest.newBuilder(URI.create(running.scraperUrl() + "/api/v1/targets"))
                            .build(),
                        HttpResponse.BodyHandlers.ofString())
                    .body());
        assertThat(targets.at("/data/activeTargets/0/health").asText()).isEqualTo("up");
        assertThat(targets.at("/data/activeTargets/0/labels/job").asText()).isEqualTo("my_app");

        exporter.close();
        assertThat(exporter.isAlive()).isFalse();
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofSeconds(3))
            .until(() -> has(tail(running), "up", "0.0", "my_app"));
        List<JsonNode> after = tail(running);
        assertThat(has(after, "node_load1", "StaleNaN", "my_app"))
            .as("the series of the failed target go stale")
            .isTrue();
        long stale =
            after.stream()
                .filter(s -> s.get("name").asText().startsWith("node_"))
                .filter(s -> s.get("value").asText().equals("StaleNaN"))
                .count();
        assertThat(stale).isGreaterThan(100);
      }
    } finally {
      exporter.close();
    }
  }
}
