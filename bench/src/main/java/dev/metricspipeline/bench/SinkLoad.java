package dev.metricspipeline.bench;

import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.sink.JdbcRollupStore;
import dev.metricspipeline.sink.QueryApi;
import dev.metricspipeline.sink.RollupStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * Store write rate and query latency of the sink: writes {@code minutes} (default a day) of 1m
 * rollups of a counter for {@code series} series spread over ten jobs, in batches of 5000 through
 * {@link JdbcRollupStore#write} (rows, series and offsets in one transaction per batch, as the sink
 * does), then times PromQL through the query API: {@code sum by (job) (rate(load_total[5m]))} over
 * the last hour at step 60 (issue #15's dashboard query), and {@code max_over_time} of one series
 * and of all over the whole span.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.metricspipeline.bench.SinkLoad JDBC_URL
 * [series] [minutes] [query-only]}; the store must be empty (a new SQLite file, or a fresh
 * PostgreSQL schema via {@code currentSchema=}), unless {@code query-only} times the queries on a
 * store an earlier run filled with the same series and minutes.
 */
public final class SinkLoad {

  private SinkLoad() {}

  public static void main(String[] args) throws Exception {
    String jdbc = args[0];
    int series = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int minutes = args.length > 2 ? Integer.parseInt(args[2]) : 1440;
    long day = minutes * 60_000L;
    boolean queryOnly = args.length > 3 && args[3].equals("query-only");
    boolean bulk = args.length > 3 && args[3].equals("bulk");
    long start = (System.currentTimeMillis() - day) / 60_000 * 60_000;
    if (queryOnly) {
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc);
          java.sql.Statement st = c.createStatement();
          java.sql.ResultSet rs = st.executeQuery("SELECT min(window_start) FROM rollups")) {
        rs.next();
        start = rs.getLong(1);
      }
    }
    TopicPartition tp = new TopicPartition("metrics.rollups.1m", 0);
    try (JdbcRollupStore store = JdbcRollupStore.open(jdbc)) {
      store.migrate();
      long offset = 0;
      long rows = 0;
      long began = System.nanoTime();
      List<RollupStore.Consumed> batch = new ArrayList<>(5000);
      for (int w = 0; w < (queryOnly ? 0 : bulk ? 1 : minutes); w++) {
        long ws = start + w * 60_000L;
        for (int s = 0; s < series; s++) {
          TreeMap<String, String> labels = new TreeMap<>();
          labels.put("job", "job-" + (s % 10));
          labels.put("instance", "host-" + s + ":9100");
          double v = 60.0 * w + s;
          batch.add(
              new RollupStore.Consumed(
                  tp,
                  offset++,
                  Rollup.newBuilder()
                      .setSeries(SeriesKey.standard().idOf("load_total", labels))
                      .setName("load_total")
                      .setLabels(labels)
                      .setType(SampleType.COUNTER)
                      .setResolution("1m")
                      .setWindowStart(ws)
                      .setWindowEnd(ws + 60_000)
                      .setCount(4)
                      .setSum(4 * v)
                      .setMin(v)
                      .setMax(v + 1)
                      .setFirst(v)
                      .setLast(v)
                      .setFirstTimestamp(ws)
                      .setLastTimestamp(ws + 45_000)
                      .setIncrease(60.0)
                      .setResets(0L)
                      .build()));
          if (batch.size() == 5000) {
            rows += store.write(batch).written();
            batch.clear();
          }
        }
      }
      rows += store.write(batch).written();
      if (bulk) {
        rows += bulkFill(jdbc, start, series, minutes);
      }
      double seconds = (System.nanoTime() - began) / 1e9;
      System.out.printf(
          "%s: wrote %,d rows (%d series x %d windows%s) in %.1f s: %,.0f rows/s%n",
          store.dialect(),
          rows,
          series,
          minutes,
          bulk ? "; the first through the store, the rest by bulk SQL" : "",
          seconds,
          rows / seconds);

      try (QueryApi server =
          QueryApi.start(
              WebConfig.none(),
              "127.0.0.1",
              0,
              store,
              Map.of(60_000L, "1m"),
              new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
        HttpClient http = HttpClient.newHttpClient();
        long end = (start + day) / 1000;
        record Case(String query, long from, String span, int runs) {}
        for (Case c :
            List.of(
                new Case(
                    "sum by (job) (rate(load_total[5m]))",
                    Math.max(start / 1000, end - 3600),
                    "the last hour",
                    12),
                new Case(
                    "max_over_time(load_total{instance=\"host-7:9100\"}[1m])",
                    start / 1000,
                    "the whole span",
                    12),
                new Case("max_over_time(load_total[1m])", start / 1000, "the whole span", 4))) {
          if (c.runs() == 4 && (long) series * minutes > 2_000_000) {
            continue; // every point of every series: a response too big to be a useful figure
          }
          String url =
              server.url()
                  + "/api/v1/query_range?query="
                  + URLEncoder.encode(c.query(), StandardCharsets.UTF_8)
                  + "&start="
                  + c.from()
                  + "&end="
                  + end
                  + "&step=60";
          long[] ms = new long[c.runs()];
          int bytes = 0;
          for (int i = 0; i < ms.length; i++) {
            long t = System.nanoTime();
            HttpResponse<String> r =
                http.send(
                    HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            ms[i] = (System.nanoTime() - t) / 1_000_000;
            if (r.statusCode() != 200) {
              throw new IllegalStateException(r.body());
            }
            bytes = r.body().length();
          }
          long[] warm = Arrays.copyOfRange(ms, 2, ms.length);
          Arrays.sort(warm);
          System.out.printf(
              "%s: %s over %s, step 60: p50 %d ms, p99 %d ms (%d warm runs), %,d bytes%n",
              store.dialect(),
              c.query(),
              c.span(),
              warm[warm.length / 2],
              warm[(int) Math.ceil(warm.length * 0.99) - 1],
              warm.length,
              bytes);
        }
      }
    }
  }

  /**
   * Fills windows 1 to {@code minutes - 1} of every series (window 0 went through the store, which
   * wrote the series rows) by plain batched {@code INSERT}s in primary-key order, with the
   * secondary index dropped until the end: a day at 100,000 series is 144 M rows, hours through the
   * sink's own write path. The rows are the ones {@link #main} writes through the store.
   */
  private static long bulkFill(String jdbc, long start, int series, int minutes)
      throws java.sql.SQLException {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc)) {
      try (java.sql.Statement st = c.createStatement()) {
        st.execute("PRAGMA synchronous=OFF");
        st.execute("PRAGMA cache_size=-2000000");
      }
      List<long[]> ids = new ArrayList<>();
      try (java.sql.Statement st = c.createStatement();
          java.sql.ResultSet rs =
              st.executeQuery("SELECT id, labels FROM metric_series ORDER BY id")) {
        while (rs.next()) {
          String labels = rs.getString(2);
          int at = labels.indexOf("host-") + 5;
          ids.add(
              new long[] {
                rs.getLong(1), Long.parseLong(labels.substring(at, labels.indexOf(':', at)))
              });
        }
      }
      if (ids.size() != series) {
        throw new IllegalStateException("expected " + series + " series, found " + ids.size());
      }
      c.setAutoCommit(false);
      long rows = 0;
      try (java.sql.PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO rollups (series_id, resolution, window_start, window_end, count, sum,"
                  + " min, max, first, last, increase, resets) VALUES (?, '1m', ?, ?, 4, ?, ?, ?,"
                  + " ?, ?, 60.0, 0)")) {
        for (long[] id : ids) {
          for (int w = 1; w < minutes; w++) {
            long ws = start + w * 60_000L;
            double v = 60.0 * w + id[1];
            ps.setLong(1, id[0]);
            ps.setLong(2, ws);
            ps.setLong(3, ws + 60_000);
            ps.setDouble(4, 4 * v);
            ps.setDouble(5, v);
            ps.setDouble(6, v + 1);
            ps.setDouble(7, v);
            ps.setDouble(8, v);
            ps.addBatch();
            if (++rows % 10_000 == 0) {
              ps.executeBatch();
            }
            if (rows % 5_000_000 == 0) {
              c.commit();
              System.out.printf("bulk: %,d rows%n", rows);
            }
          }
        }
        ps.executeBatch();
      }
      c.commit();
      return rows;
    }
  }
}
