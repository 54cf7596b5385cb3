package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.testkit.PrometheusProcess;
import java.io.OutputStream;
import java.net.InetSocketAddress;
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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue #17's must-show for remote_write 1.0 typing, with senders no one here wrote: Debian's
 * {@code prometheus} scrapes Debian's {@code node_exporter} and remote_writes to {@code run}'s push
 * gateway. Prometheus sends metric metadata in requests of their own, so the samples arrive without
 * types; the gateway types them from the metadata it remembered (the compacted topic {@code
 * metrics.metadata}), and before any arrived by their names. Every stored 1m rollup of {@code
 * node_cpu_seconds_total} in two full minutes has an {@code increase}, equal to the reset-aware
 * delta of Prometheus's own copy of the samples (the steps of the window's samples, the first from
 * the last sample before the window).
 */
class RemoteWriteIncreaseIT {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteWriteIncreaseIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MINUTE = 60_000;

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void nodeExporterCountersRemoteWrittenByPrometheusHaveTheirIncreaseStored() throws Exception {
    PrometheusProcess.binary();
    int exporterPort = PrometheusProcess.freePort();
    int prometheusPort = PrometheusProcess.freePort();
    try (PrometheusProcess exporter =
            PrometheusProcess.nodeExporter(
                dir,
                exporterPort,
                "--collector.disable-defaults",
                "--collector.cpu",
                "--collector.meminfo",
                "--collector.loadavg",
                "--collector.time",
                "--collector.stat");
        SyntheticTarget synthetic = SyntheticTarget.start();
        RunCommand.Running running = TestPipelines.start(dir.resolve("data"))) {
      String prometheusConfig =
          """
          global:
            scrape_interval: 2s
            scrape_timeout: 1s
          scrape_configs:
            - job_name: node
              static_configs:
                - targets: ['%s']
            - job_name: synthetic
              static_configs:
                - targets: ['%s']
            - job_name: prometheus
              static_configs:
                - targets: ['%s']
          remote_write:
            - url: %s/api/v1/write
              queue_config:
                batch_send_deadline: 1s
                min_backoff: 100ms
              metadata_config:
                send_interval: 5s
          """
              .formatted(
                  exporter.url().substring("http://".length()),
                  synthetic.address(),
                  "127.0.0.1:" + prometheusPort,
                  running.pushUrl());
      try (PrometheusProcess prometheus =
          PrometheusProcess.start(dir, prometheusConfig, prometheusPort)) {
        long startedAt = System.currentTimeMillis();
        // A whole minute with samples before the first window compared, so its increase has a step.
        long first = ((startedAt + 15_000) / MINUTE + 1) * MINUTE;
        long end = first + 2 * MINUTE;
        // Both windows closed (wall clock past their end and the 30 s grace) and stored.
        await()
            .atMost(Duration.ofMinutes(5))
            .pollInterval(Duration.ofSeconds(5))
            .ignoreExceptions()
            .untilAsserted(
                () -> {
                  Map<String, String> theirs = fromPrometheus(prometheus, first, end);
                  assertThat(theirs.keySet())
                      .anyMatch(k -> k.endsWith("@" + first))
                      .anyMatch(k -> k.endsWith("@" + (end - MINUTE)));
                  assertThat(stored(first, end)).isEqualTo(theirs);
                });
        Map<String, String> ours = stored(first, end);
        LOG.info("{} series-windows of node_cpu_seconds_total: increase equal", ours.size());
        assertThat(ours).doesNotContainValue("null");
        assertThat(ours.size()).as("series × windows").isGreaterThanOrEqualTo(8);
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    TestPipelines.counter(
                            get(running.pushUrl() + "/metrics"), "push_metadata_families")
                        > 0);

        // Issue #15's compatibility table, on the same samples: at two window-aligned times.
        PromQLCompatibility table =
            new PromQLCompatibility(prometheus.url(), running.queryUrl(), 2);
        List<PromQLCompatibility.Row> rows = new ArrayList<>();
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(5))
            .untilAsserted(
                () -> {
                  rows.clear();
                  rows.addAll(table.compare(end));
                  rows.addAll(table.compare(end + MINUTE));
                  assertThat(rows)
                      .filteredOn(
                          r -> !r.ok() && r.c().kind() != PromQLCompatibility.Kind.DIFFERENT)
                      .extracting(PromQLCompatibility.Row::line)
                      .isEmpty();
                });
        StringBuilder report = new StringBuilder();
        report.append(
            "\n| expression | rule | Prometheus series | our series | max relative diff |"
                + " result |\n|---|---|---|---|---|---|\n");
        rows.stream()
            .filter(r -> r.timeMs() == end + MINUTE)
            .forEach(r -> report.append(r.line()).append('\n'));
        long equal = rows.stream().filter(PromQLCompatibility.Row::ok).count();
        LOG.info(
            "PromQL compatibility: {} of {} expression-times equal within the rule ({} expressions"
                + " at 2 times){}",
            equal,
            rows.size(),
            PromQLCompatibility.CASES.size(),
            report);
        assertThat(PromQLCompatibility.CASES).hasSizeGreaterThanOrEqualTo(60);
      }
    }
  }

  /** The stored increase per series and 1m window start, as text with 9 significant digits. */
  private Map<String, String> stored(long from, long to) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + dir.resolve("data").resolve("metrics.db"));
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT s.series_key, r.window_start, r.increase FROM rollups r JOIN metric_series"
                    + " s ON s.id = r.series_id WHERE r.resolution = '1m' AND r.window_start >= ?"
                    + " AND r.window_start < ? AND s.series_key LIKE 'node_cpu_seconds_total{%'")) {
      ps.setLong(1, from);
      ps.setLong(2, to);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          double increase = rs.getDouble(3);
          out.put(
              rs.getString(1) + "@" + rs.getLong(2),
              rs.wasNull() ? "null" : String.format("%.9g", increase));
        }
      }
    }
    return out;
  }

  /**
   * The same from Prometheus's raw samples: per window, the sum of the steps of its samples (a drop
   * is a reset: the step is the new value), the first step from the last sample before it.
   */
  private Map<String, String> fromPrometheus(PrometheusProcess prometheus, long from, long to)
      throws Exception {
    long range = to - from + MINUTE;
    String query = "node_cpu_seconds_total{job=\"node\"}[" + range + "ms]";
    String url =
        prometheus.url()
            + "/api/v1/query?query="
            + URLEncoder.encode(query, StandardCharsets.UTF_8)
            + "&time="
            + ((to - 1) / 1000.0);
    JsonNode body = JSON.readTree(get(url));
    assertThat(body.get("status").asText()).as("%s", body).isEqualTo("success");
    Map<String, String> out = new TreeMap<>();
    for (JsonNode series : body.at("/data/result")) {
      Map<String, String> labels = new TreeMap<>();
      series.get("metric").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
      labels.remove("__name__");
      String id = SeriesKey.standard().idOf("node_cpu_seconds_total", labels);
      List<Long> times = new ArrayList<>();
      List<Double> values = new ArrayList<>();
      for (JsonNode point : series.get("values")) {
        times.add(Math.round(point.get(0).asDouble() * 1000));
        values.add(point.get(1).asDouble());
      }
      for (long start = from; start < to; start += MINUTE) {
        Double prev = null;
        double increase = 0;
        boolean any = false;
        for (int i = 0; i < times.size(); i++) {
          long t = times.get(i);
          double v = values.get(i);
          if (t < start) {
            prev = v;
            continue;
          }
          if (t >= start + MINUTE) {
            break;
          }
          if (prev == null) {
            continue; // the series' first sample in range: no step known; not compared
          }
          increase += v >= prev ? v - prev : v;
          prev = v;
          any = true;
        }
        if (any) {
          out.put(id + "@" + start, String.format("%.9g", increase));
        }
      }
    }
    return out;
  }

  /**
   * A RED-style target whose counters grow at constant rates (requests 10/s, 0.5/s and 3/s; a
   * latency histogram), one flat gauge and one rising 0.01/s: the rates both engines should agree
   * on to within the scrape jitter.
   */
  private static final class SyntheticTarget implements AutoCloseable {
    private final HttpServer server;

    private SyntheticTarget(HttpServer server) {
      this.server = server;
    }

    static SyntheticTarget start() throws Exception {
      long t0 = System.currentTimeMillis();
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/metrics",
          exchange -> {
            double s = (System.currentTimeMillis() - t0) / 1000.0;
            StringBuilder b = new StringBuilder();
            b.append("# TYPE synthetic_requests_total counter\n");
            b.append(line("synthetic_requests_total{path=\"/a\",code=\"200\"}", 10 * s));
            b.append(line("synthetic_requests_total{path=\"/a\",code=\"500\"}", 0.5 * s));
            b.append(line("synthetic_requests_total{path=\"/b\",code=\"200\"}", 3 * s));
            b.append("# TYPE synthetic_latency_seconds histogram\n");
            double[] bounds = {0.1, 0.5, 1};
            double[][] perSecond = {{2, 5, 6, 7}, {1, 1.5, 3, 4}};
            String[] paths = {"/a", "/b"};
            for (int p = 0; p < 2; p++) {
              for (int i = 0; i <= bounds.length; i++) {
                String le = i == bounds.length ? "+Inf" : String.valueOf(bounds[i]);
                b.append(
                    line(
                        "synthetic_latency_seconds_bucket{path=\""
                            + paths[p]
                            + "\",le=\""
                            + le
                            + "\"}",
                        perSecond[p][i] * s));
              }
              b.append(line("synthetic_latency_seconds_sum{path=\"" + paths[p] + "\"}", 1.5 * s));
              b.append(
                  line(
                      "synthetic_latency_seconds_count{path=\"" + paths[p] + "\"}",
                      perSecond[p][3] * s));
            }
            b.append("# TYPE synthetic_temperature gauge\n");
            b.append(line("synthetic_temperature{room=\"flat\"}", 21.5));
            b.append(line("synthetic_temperature{room=\"rising\"}", 20 + s / 100));
            byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.start();
      return new SyntheticTarget(server);
    }

    private static String line(String series, double value) {
      return series + " " + value + "\n";
    }

    String address() {
      return "127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private String get(String url) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
