package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** {@code run} in this JVM on free ports, and {@code tail} against it, for the launcher's ITs. */
final class TestPipelines {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final java.net.http.HttpClient HTTP =
      java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1)
          .build();

  private TestPipelines() {}

  /**
   * Starts {@code run} on free ports with 2 partitions and no self-scrape (the tests count exactly
   * what they put in), then the extra arguments.
   */
  static RunCommand.Running start(Path dataDir, String... extra) throws IOException {
    Path noScrape = dataDir.resolveSibling(dataDir.getFileName() + "-no-scrape.yml");
    Files.writeString(noScrape, "scrape_configs: []\n");
    RunCommand run = new RunCommand();
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data-dir",
                dataDir.toString(),
                "--kafka-port",
                "0",
                "--schema-registry-port",
                "0",
                "--push-port",
                "0",
                "--otlp-grpc-port",
                "0",
                "--query-port",
                "0",
                "--partitions",
                "2",
                "--scraper-port",
                "0",
                "--scrape-config",
                noScrape.toString()));
    args.addAll(List.of(extra));
    new CommandLine(run).parseArgs(args.toArray(String[]::new));
    return run.start();
  }

  /** Runs {@code tail} with the arguments against the pipeline; one JSON node per line printed. */
  static List<JsonNode> tail(RunCommand.Running running, String... args) throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of("tail"));
    all.addAll(List.of(args));
    all.addAll(
        List.of(
            "--bootstrap-servers",
            running.bootstrapServers(),
            "--schema-registry",
            running.schemaRegistryUrl()));
    int code =
        Main.commandLine()
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute(all.toArray(String[]::new));
    assertThat(code).as("tail exit code; stderr: %s", err).isZero();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.toString().split("\n")) {
      if (!line.isBlank()) {
        lines.add(JSON.readTree(line));
      }
    }
    return lines;
  }

  /** The gateway's {@code /metrics} (every stage's, under {@code run}) as Prometheus text. */
  static String selfMetrics(RunCommand.Running running) throws Exception {
    return java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1)
        .build()
        .send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(running.pushUrl() + "/metrics"))
                .timeout(java.time.Duration.ofSeconds(30))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The value of the first line of a metric (any labels) in Prometheus text, 0 when absent. */
  static double counter(String exposition, String name) {
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return 0;
  }

  /**
   * {@code GET /api/v1/query} of any Prometheus-compatible API (Debian's prometheus, or ours) at
   * {@code timeMs}: the whole response body, which must have status {@code success}.
   *
   * @throws AssertionError naming the server, the expression and the body when it was refused
   */
  static JsonNode instantQuery(String baseUrl, String expr, long timeMs) throws Exception {
    String url =
        baseUrl
            + "/api/v1/query?query="
            + java.net.URLEncoder.encode(expr, java.nio.charset.StandardCharsets.UTF_8)
            + "&time="
            + (timeMs / 1000.0);
    String body =
        HTTP.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .timeout(java.time.Duration.ofSeconds(60))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
    JsonNode json = JSON.readTree(body);
    if (!"success".equals(json.path("status").asText())) {
      throw new AssertionError(baseUrl + " refused " + expr + ": " + body);
    }
    return json;
  }
}
