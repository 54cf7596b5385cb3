package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.push.PushGateway;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.testkit.PrometheusProcess;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue #14's must-show, with senders no one here wrote: Debian's {@code prometheus} scrapes
 * Debian's {@code node_exporter} every 5 s and remote_writes to our push gateway (a gateway of its
 * own beside {@code run}'s, so it can be stopped alone). The gateway is stopped until Prometheus's
 * unsent backlog is over two minutes old, then started again on the same port; Prometheus replays
 * its write-ahead log, oldest first, minutes behind the streams stage, which had closed those
 * windows on the wall clock meanwhile. Afterwards, for every 1m window of every series from the
 * first full minute to the last one before Prometheus caught up, the stored count, sum, min, max
 * and last equal PromQL's {@code count_over_time}, {@code sum_over_time}, {@code min_over_time},
 * {@code max_over_time} and {@code last_over_time} over {@code [start, end)} evaluated by that
 * Prometheus on its own copy of the samples (Prometheus 2's ranges include both ends, so the range
 * is 59.999 s evaluated at end - 1 ms).
 */
class PrometheusReplayIT {

  private static final Logger LOG = LoggerFactory.getLogger(PrometheusReplayIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MINUTE = 60_000;
  private static final String[] FUNCTIONS = {"count", "sum", "min", "max", "last"};

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void afterAGatewayOutagePrometheusReplaysAndEveryWindowEqualsPromQlOnItsOwnCopy()
      throws Exception {
    PrometheusProcess.binary();
    int exporterPort = PrometheusProcess.freePort();
    int gatewayPort = PrometheusProcess.freePort();
    try (PrometheusProcess exporter =
            PrometheusProcess.nodeExporter(
                dir,
                exporterPort,
                "--collector.disable-defaults",
                "--collector.cpu",
                "--collector.loadavg",
                "--collector.stat");
        RunCommand.Running running = TestPipelines.start(dir.resolve("data"));
        MetricsPublisher publisher =
            MetricsPublisher.start(
                PublisherConfig.defaults(
                        KafkaConnection.of(running.bootstrapServers()),
                        RegistryClientConfig.of(running.schemaRegistryUrl()))
                    .withTransactionalId("prometheus-replay-it"))) {
      PushGatewayConfig config =
          PushGatewayConfig.defaults()
              .withListen("127.0.0.1", gatewayPort)
              .withLimits(16 << 20, 16 << 20, 1_000_000);
      PushGateway gateway =
          PushGateway.start(config, publisher, KafkaConnection.of(running.bootstrapServers()));
      String prometheusConfig =
          """
          global:
            scrape_interval: 5s
            scrape_timeout: 4s
          scrape_configs:
            - job_name: node
              static_configs:
                - targets: ['%s']
          remote_write:
            - url: http://127.0.0.1:%d/api/v1/write
              queue_config:
                batch_send_deadline: 1s
                min_backoff: 100ms
                max_backoff: 2s
          """
              .formatted(exporter.url().substring("http://".length()), gatewayPort);
      try (PrometheusProcess prometheus = PrometheusProcess.start(dir, prometheusConfig)) {
        long startedAt = System.currentTimeMillis();
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(() -> !vector(prometheus, "up{job=\"node\"} == 1").isEmpty());
        // Flowing end to end: a rollup of the first full minute is in the store.
        long first = (startedAt / MINUTE + 1) * MINUTE;
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(2))
            .until(() -> !stored(first, first + MINUTE).isEmpty());

        gateway.close();
        long stoppedAt = System.currentTimeMillis();
        LOG.info("Gateway stopped; waiting until Prometheus holds two minutes unsent");
        await()
            .atMost(Duration.ofMinutes(4))
            .pollInterval(Duration.ofSeconds(5))
            .ignoreExceptions()
            .until(() -> backlogSeconds(prometheus) > 120);
        gateway =
            PushGateway.start(config, publisher, KafkaConnection.of(running.bootstrapServers()));
        long restartedAt = System.currentTimeMillis();
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(2))
            .ignoreExceptions()
            .until(() -> backlogSeconds(prometheus) < 10);
        long caughtUpAt = System.currentTimeMillis();
        LOG.info(
            "Gateway down {} s; Prometheus caught up {} s after the restart",
            (restartedAt - stoppedAt) / 1000,
            (caughtUpAt - restartedAt) / 1000);

        long last = (stoppedAt / MINUTE) * MINUTE;
        long end = (caughtUpAt / MINUTE) * MINUTE;
        assertThat(end - last).as("windows from before, during and after the outage").isPositive();
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(10))
            .untilAsserted(
                () -> assertThat(stored(first, end)).isEqualTo(promql(prometheus, first, end)));
        Map<String, String> compared = stored(first, end);
        String metrics = get(running.pushUrl() + "/metrics");
        double revisions = counter(metrics, "streams_rollups_revised_total", "resolution=\"1m\"");
        double late = counter(metrics, "streams_samples_dropped_total", "reason=\"late\"");
        LOG.info(
            "{} series-windows of 1m from {} to {} equal PromQL; {} 1m revisions, {} late",
            compared.size(),
            first,
            end,
            revisions,
            late);
        assertThat(compared.size()).as("series × windows compared").isGreaterThan(100);
        assertThat(revisions)
            .as("the window the outage began in was emitted, then revised by the replay")
            .isPositive();
        assertThat(late).as("nothing beyond the allowed lateness").isZero();
      } finally {
        gateway.close();
      }
    }
  }

  /**
   * Prometheus's newest appended sample time minus the newest it sent to us, in seconds, from its
   * own {@code /metrics}.
   */
  private double backlogSeconds(PrometheusProcess prometheus) throws Exception {
    String metrics = get(prometheus.url() + "/metrics");
    double appended =
        counter(metrics, "prometheus_remote_storage_highest_timestamp_in_seconds", "");
    double sent =
        counter(metrics, "prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "");
    return appended - sent;
  }

  private String get(String url) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private List<JsonNode> vector(PrometheusProcess prometheus, String query) throws Exception {
    return vector(prometheus, query, System.currentTimeMillis());
  }

  private List<JsonNode> vector(PrometheusProcess prometheus, String query, long atMs)
      throws Exception {
    List<JsonNode> out = new ArrayList<>();
    TestPipelines.instantQuery(prometheus.url(), query, atMs).at("/data/result").forEach(out::add);
    return out;
  }

  /**
   * Per series id and window start: count, sum, min, max and last as PromQL computes them over the
   * window, for every metric name Prometheus has for job="node".
   */
  private Map<String, String> promql(PrometheusProcess prometheus, long from, long to)
      throws Exception {
    JsonNode names =
        JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(
                            URI.create(
                                prometheus.url()
                                    + "/api/v1/label/__name__/values?match[]="
                                    + URLEncoder.encode("{job=\"node\"}", StandardCharsets.UTF_8)))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    Map<String, double[]> out = new TreeMap<>();
    for (Iterator<JsonNode> it = names.get("data").elements(); it.hasNext(); ) {
      String name = it.next().asText();
      for (long start = from; start < to; start += MINUTE) {
        for (int f = 0; f < FUNCTIONS.length; f++) {
          String query = FUNCTIONS[f] + "_over_time(" + name + "{job=\"node\"}[59999ms])";
          for (JsonNode series : vector(prometheus, query, start + MINUTE - 1)) {
            Map<String, String> labels = new TreeMap<>();
            series
                .get("metric")
                .properties()
                .forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
            String key = SeriesKey.standard().idOf(name, labels) + "@" + start;
            out.computeIfAbsent(key, k -> new double[FUNCTIONS.length])[f] =
                series.get("value").get(1).asDouble();
          }
        }
      }
    }
    return round(out);
  }

  /** The same from our store: the sink's SQLite file under {@code run}'s data directory. */
  private Map<String, String> stored(long from, long to) throws Exception {
    Map<String, double[]> out = new TreeMap<>();
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + dir.resolve("data").resolve("metrics.db"));
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT s.series_key, r.window_start, r.count, r.sum, r.min, r.max, r.last FROM"
                    + " rollups r JOIN metric_series s ON s.id = r.series_id WHERE r.resolution ="
                    + " '1m' AND r.window_start >= ? AND r.window_start < ? AND s.series_key LIKE"
                    + " '%job=\"node\"%'")) {
      ps.setLong(1, from);
      ps.setLong(2, to);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(
              rs.getString(1) + "@" + rs.getLong(2),
              new double[] {
                rs.getLong(3), rs.getDouble(4), rs.getDouble(5), rs.getDouble(6), rs.getDouble(7)
              });
        }
      }
    }
    return round(out);
  }

  /**
   * One line of values per series and window; sums in another order differ in the last bits, so
   * every value is printed to 12 significant digits.
   */
  private static Map<String, String> round(Map<String, double[]> in) {
    Map<String, String> out = new TreeMap<>();
    in.forEach(
        (k, v) -> {
          StringBuilder line = new StringBuilder();
          for (int i = 0; i < v.length; i++) {
            line.append(FUNCTIONS[i]).append('=').append(String.format("%.12g ", v[i]));
          }
          out.put(k, line.toString().trim());
        });
    return out;
  }

  /**
   * The value of the first sample of {@code name} in {@code exposition} whose labels contain {@code
   * label} (e.g. {@code reason="late"}; empty for any), or 0 if there is none: a counter that was
   * never incremented is not registered.
   */
  private static double counter(String exposition, String name, String label) {
    for (String line : exposition.split("\n")) {
      if ((line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(label)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return 0;
  }
}
