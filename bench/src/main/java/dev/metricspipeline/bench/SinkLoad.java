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
 * Store write rate and query latency of the sink: writes a day of 1m rollups for {@code series}
 * series (1440 windows each) in batches of 5000 through {@link JdbcRollupStore#write} (rows, series
 * and offsets in one transaction per batch, as the sink does), then times query_range over the
 * whole day through the query API.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.metricspipeline.bench.SinkLoad JDBC_URL
 * [series]}; the store must be empty (a new SQLite file, or a fresh PostgreSQL schema via {@code
 * currentSchema=}).
 */
public final class SinkLoad {

  private SinkLoad() {}

  public static void main(String[] args) throws Exception {
    String jdbc = args[0];
    int series = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    long day = 86_400_000L;
    long start = (System.currentTimeMillis() - day) / 60_000 * 60_000;
    TopicPartition tp = new TopicPartition("metrics.rollups.1m", 0);
    try (JdbcRollupStore store = JdbcRollupStore.open(jdbc)) {
      store.migrate();
      long offset = 0;
      long rows = 0;
      long began = System.nanoTime();
      List<RollupStore.Consumed> batch = new ArrayList<>(5000);
      for (int w = 0; w < 1440; w++) {
        long ws = start + w * 60_000L;
        for (int s = 0; s < series; s++) {
          TreeMap<String, String> labels = new TreeMap<>();
          labels.put("job", "load");
          labels.put("instance", "host-" + s + ":9100");
          double v = s + w;
          batch.add(
              new RollupStore.Consumed(
                  tp,
                  offset++,
                  Rollup.newBuilder()
                      .setSeries(SeriesKey.standard().idOf("load_seconds", labels))
                      .setName("load_seconds")
                      .setLabels(labels)
                      .setType(SampleType.GAUGE)
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
                      .build()));
          if (batch.size() == 5000) {
            rows += store.write(batch).written();
            batch.clear();
          }
        }
      }
      rows += store.write(batch).written();
      double seconds = (System.nanoTime() - began) / 1e9;
      System.out.printf(
          "%s: wrote %,d rows (%d series x 1440 windows) in %.1f s: %,.0f rows/s%n",
          store.dialect(), rows, series, seconds, rows / seconds);

      try (QueryApi server =
          QueryApi.start(
              WebConfig.none(),
              "127.0.0.1",
              0,
              store,
              Map.of(60_000L, "1m"),
              new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
        HttpClient http = HttpClient.newHttpClient();
        long from = start / 1000;
        long to = (start + day) / 1000;
        for (String query :
            List.of(
                "max_over_time(load_seconds{instance=\"host-7:9100\"}[1m])",
                "max_over_time(load_seconds[1m])")) {
          String url =
              server.url()
                  + "/api/v1/query_range?query="
                  + URLEncoder.encode(query, StandardCharsets.UTF_8)
                  + "&start="
                  + from
                  + "&end="
                  + to
                  + "&step=60";
          long[] ms = new long[12];
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
              "%s: %s over a day, step 60: median %d ms, max %d ms (10 warm runs), %,d bytes%n",
              store.dialect(), query, warm[warm.length / 2], warm[warm.length - 1], bytes);
        }
      }
    }
  }
}
