package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.schemas.KafkaConnection;
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

  private RunCommand.Running start(String... extra) throws java.io.IOException {
    List<String> args = new ArrayList<>(List.of("--rollup-grace", "PT15S"));
    args.addAll(List.of(extra));
    return TestPipelines.start(dataDir, args.toArray(String[]::new));
  }

  private static List<JsonNode> tail(RunCommand.Running running, String... args) throws Exception {
    return TestPipelines.tail(running, args);
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
              "metrics.samples-dev.metricspipeline.schemas.avro.SampleBatch",
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
                  KafkaConnection.of(running.bootstrapServers()),
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
      // A SampleBatch record, one line per sample: the key is the sample's series id.
      assertThat(pushed.at("/value/seriesId").asText()).isEqualTo(pushed.get("key").asText());
      assertThat(pushed.get("batchIndex").asInt()).isLessThan(pushed.get("batchSize").asInt());
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
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .build()
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
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .build()
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

      // The sink writes it to SQLite and the query API serves it, in Prometheus's JSON.
      long windowStart = rollups.get(0).at("/value/windowStart").asLong();
      String url =
          running.queryUrl()
              + "/api/v1/query_range?query="
              + java.net.URLEncoder.encode(
                  "max_over_time(job_duration_seconds[1m])",
                  java.nio.charset.StandardCharsets.UTF_8)
              + "&start="
              + (windowStart / 1000 - 120)
              + "&end="
              + (windowStart / 1000 + 180)
              + "&step=60";
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                HttpResponse<String> query = http(HttpRequest.newBuilder(URI.create(url)));
                assertThat(query.statusCode()).isEqualTo(200);
                assertThat(JSON.readTree(query.body()).at("/data/result").toString())
                    .isEqualTo(
                        "[{\"metric\":{\"job\":\"batch_job\"},\"values\":[["
                            + (windowStart / 1000 + 60)
                            + ",\"12.5\"]]}]");
              });
      try (java.sql.Connection c =
              java.sql.DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("metrics.db"));
          java.sql.ResultSet rs =
              c.createStatement()
                  .executeQuery(
                      "SELECT s.metric, r.resolution, r.count, r.max FROM rollups r JOIN"
                          + " metric_series s ON s.id = r.series_id WHERE s.metric ="
                          + " 'job_duration_seconds' AND r.resolution = '1m'")) {
        // Only the 1m row: when the push falls in the last minute of a 5m (or 1h) window, that
        // window closes at the same moment and its row is stored too.
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(2)).isEqualTo("1m");
        assertThat(rs.getLong(3)).isEqualTo(1);
        assertThat(rs.getDouble(4)).isEqualTo(12.5);
        assertThat(rs.next()).isFalse();
      }
    }
  }

  /**
   * Two minutes of samples with explicit timestamps, part of them pushed twice, for two instances;
   * an aggregation rule sums them without {@code instance}. Each window's numbers are worked out by
   * hand below.
   */
  @Test
  void twoMinutesOfTimestampedSamplesRollUpAsComputedByHandDuplicatesCountedOnce(
      @TempDir Path rulesDir) throws Exception {
    Path rules = rulesDir.resolve("rules.yaml");
    java.nio.file.Files.writeString(
        rules,
        """
        - match: handcalc_temp
          without: [instance]
          outputs: [sum, max]
        """);
    try (RunCommand.Running running = start("--aggregation-rules", rules.toString())) {
      long w0 = System.currentTimeMillis() / 60_000 * 60_000;
      String a = "handcalc,job=handcalc,instance=a temp=";
      String b = "handcalc,job=handcalc,instance=b temp=";
      String body =
          String.join(
              "\n",
              a + "3 " + (w0 + 1_000),
              a + "7 " + (w0 + 20_000),
              a + "5 " + (w0 + 40_000),
              b + "4 " + (w0 + 10_000),
              a + "10 " + (w0 + 61_000),
              a + "2 " + (w0 + 70_000),
              b + "6 " + (w0 + 65_000));
      String again = String.join("\n", a + "7 " + (w0 + 20_000), a + "2 " + (w0 + 70_000));
      for (String push : List.of(body, again)) {
        HttpResponse<String> response =
            http(
                HttpRequest.newBuilder(URI.create(running.pushUrl() + "/api/v2/write?precision=ms"))
                    .POST(HttpRequest.BodyPublishers.ofString(push)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(204);
      }
      // Window w0 closes at w0 + 75 s, w0 + 1m at w0 + 135 s; group windows settle 5 s more.
      Map<String, JsonNode> rollups = new TreeMap<>();
      for (JsonNode line :
          tail(
              running,
              Topics.rollups("1m"),
              "--from-beginning",
              "--max",
              "8",
              "--idle-timeout",
              "170")) {
        long start = line.at("/value/windowStart").asLong();
        rollups.put(line.get("key").asText() + " +" + (start - w0) / 1000 + "s", line.get("value"));
      }
      String sa = "handcalc_temp{instance=\"a\",job=\"handcalc\"}";
      String sb = "handcalc_temp{instance=\"b\",job=\"handcalc\"}";
      String sum = "handcalc_temp:without_instance_sum{job=\"handcalc\"}";
      String max = "handcalc_temp:without_instance_max{job=\"handcalc\"}";
      assertThat(rollups)
          .containsOnlyKeys(
              sa + " +0s",
              sb + " +0s",
              sum + " +0s",
              max + " +0s",
              sa + " +60s",
              sb + " +60s",
              sum + " +60s",
              max + " +60s");
      // a, first minute: 3, 7, 5 (7 pushed twice: one kept).
      assertWindow(rollups.get(sa + " +0s"), 3, 15, 3, 7);
      assertWindow(rollups.get(sb + " +0s"), 1, 4, 4, 4);
      // a, second minute: 10, 2 (2 pushed twice).
      assertWindow(rollups.get(sa + " +60s"), 2, 12, 2, 10);
      assertWindow(rollups.get(sb + " +60s"), 1, 6, 6, 6);
      // Sum of the last values (a: 5, b: 4; then 2 and 6); max of the maxima.
      assertThat(rollups.get(sum + " +0s").get("last").asDouble()).isEqualTo(9.0);
      assertThat(rollups.get(max + " +0s").get("last").asDouble()).isEqualTo(7.0);
      assertThat(rollups.get(sum + " +60s").get("last").asDouble()).isEqualTo(8.0);
      assertThat(rollups.get(max + " +60s").get("last").asDouble()).isEqualTo(10.0);

      HttpResponse<String> metrics =
          http(HttpRequest.newBuilder(URI.create(running.pushUrl() + "/metrics")));
      assertThat(metrics.body())
          .contains("streams_samples_in_total 9.0")
          .contains("streams_samples_dropped_total{reason=\"duplicate\"} 2.0")
          .contains("streams_rollups_out_total{resolution=\"1m\"} 4.0")
          .contains("streams_aggregates_out_total{resolution=\"1m\"} 4.0")
          .contains("kafka_consumer_fetch_manager_records_lag_max");
    }
  }

  private static HttpResponse<String> http(HttpRequest.Builder request) throws Exception {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(
            request.timeout(java.time.Duration.ofSeconds(60)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static void assertWindow(
      JsonNode rollup, long count, double sum, double min, double max) {
    assertThat(rollup.get("count").asLong()).as("count of %s", rollup).isEqualTo(count);
    assertThat(rollup.get("sum").asDouble()).as("sum of %s", rollup).isEqualTo(sum);
    assertThat(rollup.get("min").asDouble()).as("min of %s", rollup).isEqualTo(min);
    assertThat(rollup.get("max").asDouble()).as("max of %s", rollup).isEqualTo(max);
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
