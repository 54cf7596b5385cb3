package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code run} on a fresh data dir, {@code tail} against it, and a restart on the same data. */
class RunAndTailIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dataDir;

  private RunCommand.Running start() {
    RunCommand run = new RunCommand();
    new CommandLine(run)
        .parseArgs(
            "--data-dir",
            dataDir.toString(),
            "--kafka-port",
            "0",
            "--schema-registry-port",
            "0",
            "--push-port",
            "0",
            "--rollup-grace",
            "PT15S",
            "--partitions",
            "2");
    return run.start();
  }

  private static List<JsonNode> tail(RunCommand.Running running, String... args) throws Exception {
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

  @Test
  void runCreatesTopicsAndSchemasTailPrintsThemAndARestartKeepsEverything() throws Exception {
    List<JsonNode> schemasBefore;
    try (RunCommand.Running running = start()) {
      schemasBefore = tail(running, "_schemas", "--from-beginning", "--idle-timeout", "2");
      assertThat(schemasBefore)
          .extracting(l -> l.at("/value/subject").asText())
          .contains(
              "metrics.samples-value",
              "metrics.rollups.1m-value",
              "metrics.rollups.5m-value",
              "metrics.rollups.1h-value",
              "metrics.rejected-value");

      MetricSample sample =
          MetricSample.newBuilder()
              .setName("job_duration_seconds")
              .setLabels(new TreeMap<>(Map.of("job", "batch_job")))
              .setType(SampleType.UNTYPED)
              .setValue(12.5)
              .setTimestamp(1_700_000_000_000L)
              .setIngestTimestamp(1_700_000_000_001L)
              .setOrigin(Origin.PUSH_PROMETHEUS)
              .build();
      MetricSample stale =
          MetricSample.newBuilder(sample).setName("gone").setValue(StaleMarker.VALUE).build();
      try (MetricsPublisher publisher =
          MetricsPublisher.start(
              PublisherConfig.defaults(
                  running.bootstrapServers(),
                  RegistryClientConfig.of(running.schemaRegistryUrl())))) {
        publisher.publish(List.of(sample, stale)).get(30, TimeUnit.SECONDS);
      }

      List<JsonNode> samples = tail(running, Topics.SAMPLES, "--from-beginning", "--max", "2");
      JsonNode pushed =
          samples.stream()
              .filter(l -> l.at("/value/name").asText().equals("job_duration_seconds"))
              .findFirst()
              .orElseThrow();
      assertThat(pushed.get("key").asText()).isEqualTo("job_duration_seconds{job=\"batch_job\"}");
      assertThat(pushed.at("/value/labels/job").asText()).isEqualTo("batch_job");
      assertThat(pushed.at("/value/value").asDouble()).isEqualTo(12.5);
      assertThat(pushed.at("/value/origin").asText()).isEqualTo("PUSH_PROMETHEUS");
      assertThat(pushed.has("partition")).isTrue();
      assertThat(pushed.has("offset")).isTrue();
      JsonNode gone =
          samples.stream()
              .filter(l -> l.at("/value/name").asText().equals("gone"))
              .findFirst()
              .orElseThrow();
      assertThat(gone.at("/value/value").asText()).isEqualTo("StaleNaN");
    }

    try (RunCommand.Running again = start()) {
      List<JsonNode> samples =
          tail(again, Topics.SAMPLES, "--from-beginning", "--idle-timeout", "2");
      assertThat(samples).hasSize(2);
      List<JsonNode> schemasAfter =
          tail(again, "_schemas", "--from-beginning", "--idle-timeout", "2");
      // Registering the same schemas again on restart adds no records and changes no ids.
      assertThat(schemasAfter).hasSameSizeAs(schemasBefore);
      assertThat(schemasAfter)
          .extracting(l -> l.at("/value/id").asInt())
          .containsExactlyElementsOf(
              schemasBefore.stream().map(l -> l.at("/value/id").asInt()).toList());
    }
  }

  @Test
  void theSeedCurlPushLandsInMetricsSamples() throws Exception {
    try (RunCommand.Running running = start()) {
      // What `curl -X POST URL --data-binary 'job_duration_seconds 12.5'` sends.
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(running.pushUrl() + "/metrics/job/batch_job"))
                      .timeout(java.time.Duration.ofSeconds(60))
                      .header("Content-Type", "application/x-www-form-urlencoded")
                      .POST(HttpRequest.BodyPublishers.ofString("job_duration_seconds 12.5"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      List<JsonNode> samples = tail(running, Topics.SAMPLES, "--from-beginning", "--max", "3");
      JsonNode pushed =
          samples.stream()
              .filter(l -> l.at("/value/name").asText().equals("job_duration_seconds"))
              .findFirst()
              .orElseThrow();
      assertThat(pushed.at("/value/labels/job").asText()).isEqualTo("batch_job");
      assertThat(pushed.at("/value/value").asDouble()).isEqualTo(12.5);
      assertThat(pushed.at("/value/origin").asText()).isEqualTo("PUSH_PROMETHEUS");
      assertThat(samples)
          .extracting(l -> l.at("/value/name").asText())
          .contains("push_time_seconds", "push_failure_time_seconds");
    }
  }

  @Test
  void pushPublishesArgumentsAndStdinStraightToKafka() throws Exception {
    try (RunCommand.Running running = start()) {
      String[] kafka = {
        "--bootstrap-servers",
        running.bootstrapServers(),
        "--schema-registry",
        running.schemaRegistryUrl()
      };
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli =
          Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
      List<String> args =
          new ArrayList<>(List.of("push", "--job", "backup", "--label", "host=db1"));
      args.addAll(List.of(kafka));
      args.addAll(List.of("backup_bytes=1.5e9", "backup_ok=1"));
      assertThat(cli.execute(args.toArray(String[]::new))).as("stderr: %s", err).isZero();
      assertThat(out.toString()).contains("published 2 samples for job backup");

      PushCommand fromStdin = new PushCommand();
      fromStdin.stdin =
          new java.io.ByteArrayInputStream(
              "# TYPE rows counter\nrows{table=\"t\"} 42\n"
                  .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      List<String> stdinArgs = new ArrayList<>(List.of("--job", "etl"));
      stdinArgs.addAll(List.of(kafka));
      assertThat(new CommandLine(fromStdin).execute(stdinArgs.toArray(String[]::new))).isZero();

      StringWriter refusedErr = new StringWriter();
      List<String> bad = new ArrayList<>(List.of("push", "--job", "x"));
      bad.addAll(List.of(kafka));
      bad.add("not a metric=1");
      assertThat(
              Main.commandLine()
                  .setErr(new PrintWriter(refusedErr))
                  .execute(bad.toArray(String[]::new)))
          .isEqualTo(1);
      assertThat(refusedErr.toString())
          .contains("push: line 1")
          .contains("(nothing was published)");

      List<JsonNode> samples = tail(running, Topics.SAMPLES, "--from-beginning", "--max", "3");
      assertThat(samples)
          .extracting(l -> l.get("key").asText())
          .containsExactlyInAnyOrder(
              "backup_bytes{host=\"db1\",job=\"backup\"}",
              "backup_ok{host=\"db1\",job=\"backup\"}",
              "rows{job=\"etl\",table=\"t\"}");
      assertThat(samples)
          .extracting(l -> l.at("/value/origin").asText())
          .containsOnly("PUSH_CLIENT");
    }
  }

  @Test
  void theSeedPushReachesTheOneMinuteRollupWhenItsWindowCloses() throws Exception {
    try (RunCommand.Running running = start()) {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(running.pushUrl() + "/metrics/job/batch_job"))
                      .timeout(java.time.Duration.ofSeconds(60))
                      .POST(HttpRequest.BodyPublishers.ofString("job_duration_seconds 12.5"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      // The window closes at its end plus 15 s grace: at most about 75 s from now.
      List<JsonNode> rollups = new ArrayList<>();
      for (JsonNode line :
          tail(
              running,
              Topics.rollups("1m"),
              "--from-beginning",
              "--max",
              "3",
              "--idle-timeout",
              "90")) {
        if (line.get("key").asText().startsWith("job_duration_seconds")) {
          rollups.add(line);
        }
      }
      assertThat(rollups)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.get("key").asText())
                    .isEqualTo("job_duration_seconds{job=\"batch_job\"}");
                assertThat(r.at("/value/count").asLong()).isEqualTo(1);
                assertThat(r.at("/value/max").asDouble()).isEqualTo(12.5);
                assertThat(r.at("/value/resolution").asText()).isEqualTo("1m");
              });
    }
  }

  @Test
  void tailOfAMissingTopicFailsWithAClearMessage() throws Exception {
    try (RunCommand.Running running = start()) {
      StringWriter err = new StringWriter();
      int code =
          Main.commandLine()
              .setErr(new PrintWriter(err))
              .execute(
                  "tail",
                  "no.such.topic",
                  "--bootstrap-servers",
                  running.bootstrapServers(),
                  "--idle-timeout",
                  "1");
      assertThat(code).isEqualTo(1);
      assertThat(err.toString())
          .contains("topic 'no.such.topic' does not exist on " + running.bootstrapServers());
    }
  }
}
