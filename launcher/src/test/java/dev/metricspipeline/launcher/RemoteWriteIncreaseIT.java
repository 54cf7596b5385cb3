package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.schemas.SeriesKey;
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
    try (PrometheusProcess exporter =
            PrometheusProcess.nodeExporter(
                dir, exporterPort, "--collector.disable-defaults", "--collector.cpu");
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
          remote_write:
            - url: %s/api/v1/write
              queue_config:
                batch_send_deadline: 1s
                min_backoff: 100ms
              metadata_config:
                send_interval: 5s
          """
              .formatted(exporter.url().substring("http://".length()), running.pushUrl());
      try (PrometheusProcess prometheus = PrometheusProcess.start(dir, prometheusConfig)) {
        long startedAt = System.currentTimeMillis();
        long first = (startedAt / MINUTE + 1) * MINUTE;
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
                () -> counter(get(running.pushUrl() + "/metrics"), "push_metadata_families") > 0);
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

  private String get(String url) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static double counter(String exposition, String name) {
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return 0;
  }
}
