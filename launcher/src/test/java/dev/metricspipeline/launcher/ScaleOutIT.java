package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.push.PushGateway;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.streams.StreamsApp;
import dev.metricspipeline.streams.StreamsSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue #13's scale-out on the engine we have: beside {@code run}'s push gateway and streams stage,
 * a second gateway (its own transactional id) and a second streams instance (the same application
 * id) join the same Kafka. Pushes go to both gateways; the streams instances split the partitions
 * (each processes samples) and the stored rollups are still exact: every sample counted once, also
 * across the rebalance the second instance's arrival causes.
 */
class ScaleOutIT {

  private static final Logger LOG = LoggerFactory.getLogger(ScaleOutIT.class);
  private static final long MINUTE = 60_000;
  private static final int SERIES = 200;
  private static final int PER_SERIES = 10;

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void twoGatewaysAndTwoStreamsInstancesShareTheWorkAndTheRollupsStayExact() throws Exception {
    try (RunCommand.Running running = TestPipelines.start(dir.resolve("data"))) {
      RegistryClientConfig registry = RegistryClientConfig.of(running.schemaRegistryUrl());
      PrometheusMeterRegistry secondMeters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      try (MetricsPublisher publisher =
              MetricsPublisher.start(
                  PublisherConfig.defaults(KafkaConnection.of(running.bootstrapServers()), registry)
                      .withTransactionalId("scale-out-second-gateway"));
          PushGateway second =
              PushGateway.start(
                  PushGatewayConfig.defaults().withListen("127.0.0.1", 0),
                  publisher,
                  KafkaConnection.of(running.bootstrapServers()),
                  secondMeters);
          StreamsApp streams =
              StreamsApp.start(
                  StreamsSettings.defaults(),
                  KafkaConnection.of(running.bootstrapServers()),
                  registry,
                  "metrics-pipeline-streams",
                  dir.resolve("second-streams"),
                  secondMeters)) {
        assertThat(streams.awaitRunning(Duration.ofMinutes(2))).isTrue();
        // Ten samples a series in a minute three minutes back, alternating between the gateways.
        long window = (System.currentTimeMillis() / MINUTE - 3) * MINUTE;
        String[] gateways = {running.pushUrl(), second.url()};
        for (int i = 0; i < PER_SERIES; i++) {
          StringBuilder body = new StringBuilder();
          for (int s = 0; s < SERIES; s++) {
            body.append("scale,series=")
                .append(s)
                .append(" out=")
                .append(i + 1)
                .append(' ')
                .append(window + 1_000L * (i + 1))
                .append('\n');
          }
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(URI.create(gateways[i % 2] + "/api/v2/write?precision=ms"))
                      .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
        }

        Map<Long, Long> expected = new TreeMap<>();
        expected.put((long) PER_SERIES, (long) SERIES);
        await()
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofSeconds(1))
            .ignoreExceptions()
            .untilAsserted(
                () -> {
                  Stored stored = stored(window);
                  assertThat(stored.seriesByCount()).isEqualTo(expected);
                  assertThat(stored.sum()).isEqualTo(55.0 * SERIES);
                });
        double secondIn = TestPipelines.counter(secondMeters.scrape(), "streams_samples_in_total");
        double firstIn =
            TestPipelines.counter(TestPipelines.selfMetrics(running), "streams_samples_in_total");
        LOG.info(
            "scale-out: streams instance 1 read {} samples, instance 2 read {}; {} series x {}"
                + " samples stored exactly once",
            firstIn,
            secondIn,
            SERIES,
            PER_SERIES);
        assertThat(secondIn).as("the second streams instance has partitions").isPositive();
        assertThat(firstIn).as("the first keeps some").isPositive();
        // At least once each (a transaction aborted by a rebalance is processed again; the store
        // above shows each sample counted once).
        assertThat(firstIn + secondIn).isGreaterThanOrEqualTo(SERIES * PER_SERIES);
      }
    }
  }

  /** For the 1m window: how many series have each sample count, and the sum of their sums. */
  private record Stored(Map<Long, Long> seriesByCount, double sum) {}

  private Stored stored(long window) throws Exception {
    Map<Long, Long> counts = new TreeMap<>();
    double sum = 0;
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + dir.resolve("data").resolve("metrics.db"));
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT r.count, count(*), sum(r.sum) FROM rollups r JOIN metric_series s ON s.id ="
                    + " r.series_id WHERE s.metric = 'scale_out' AND r.resolution = '1m' AND"
                    + " r.window_start = "
                    + window
                    + " GROUP BY r.count")) {
      while (rs.next()) {
        counts.put(rs.getLong(1), rs.getLong(2));
        sum += rs.getDouble(3);
      }
    }
    return new Stored(counts, sum);
  }
}
