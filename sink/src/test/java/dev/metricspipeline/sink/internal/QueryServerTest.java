package dev.metricspipeline.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.sink.JdbcRollupStore;
import dev.metricspipeline.sink.RollupStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The query API over a SQLite store holding three minutes of two series and a counter. */
class QueryServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long T0 = 1_764_000_000_000L; // aligned to the minute
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @TempDir Path dir;
  private JdbcRollupStore store;
  private QueryServer server;

  private static Rollup rollup(String name, Map<String, String> labels, long start, double max) {
    return Rollup.newBuilder()
        .setSeries(SeriesKey.standard().idOf(name, labels))
        .setName(name)
        .setLabels(new TreeMap<>(labels))
        .setType(SampleType.GAUGE)
        .setResolution("1m")
        .setWindowStart(start)
        .setWindowEnd(start + 60_000)
        .setCount(4)
        .setSum(max * 3)
        .setMin(max - 1)
        .setMax(max)
        .setFirst(max - 1)
        .setLast(max - 0.5)
        .setFirstTimestamp(start)
        .setLastTimestamp(start)
        .build();
  }

  @BeforeEach
  void start() throws Exception {
    store = JdbcRollupStore.open("jdbc:sqlite:" + dir.resolve("m.db"));
    store.migrate();
    List<RollupStore.Consumed> batch = new ArrayList<>();
    TopicPartition tp = new TopicPartition("metrics.rollups.1m", 0);
    long offset = 0;
    for (int m = 0; m < 3; m++) {
      long start = T0 + m * 60_000L;
      batch.add(
          new RollupStore.Consumed(
              tp, offset++, rollup("temp", Map.of("job", "a", "dc", "x"), start, 10 + m)));
      batch.add(
          new RollupStore.Consumed(
              tp, offset++, rollup("temp", Map.of("job", "b", "dc", "y"), start, 20 + m)));
      Rollup counter = rollup("requests_total", Map.of("job", "a"), start, 100);
      counter.setType(SampleType.COUNTER);
      counter.setIncrease(30.0 * (m + 1));
      counter.setResets(0L);
      batch.add(new RollupStore.Consumed(tp, offset++, counter));
    }
    store.write(batch);
    server =
        QueryServer.start(
            WebConfig.none(),
            "127.0.0.1",
            0,
            store,
            Map.of(60_000L, "1m", 300_000L, "5m"),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            () -> true,
            null,
            1_000);
  }

  @AfterEach
  void stop() {
    server.close();
    store.close();
  }

  private JsonNode get(String pathAndQuery, int status) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url() + pathAndQuery)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    return JSON.readTree(r.body());
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void queryRangeReturnsOnePointPerClosedWindowStampedWithItsEnd() throws Exception {
    long start = T0 / 1000;
    JsonNode r =
        get(
            "/api/v1/query_range?query="
                + q("max_over_time(temp{job=\"a\"}[1m])")
                + "&start="
                + start
                + "&end="
                + (start + 240)
                + "&step=60",
            200);
    assertThat(r.get("status").asText()).isEqualTo("success");
    assertThat(r.at("/data/resultType").asText()).isEqualTo("matrix");
    JsonNode series = r.at("/data/result");
    assertThat(series).hasSize(1);
    assertThat(series.get(0).get("metric").toString()).isEqualTo("{\"dc\":\"x\",\"job\":\"a\"}");
    assertThat(series.get(0).get("values").toString())
        .isEqualTo(
            "[["
                + (start + 60)
                + ",\"10\"],["
                + (start + 120)
                + ",\"11\"],["
                + (start + 180)
                + ",\"12\"]]");
  }

  @Test
  void everyFunctionReadsItsField() throws Exception {
    long t = T0 / 1000 + 60;
    Map<String, String> expected = new TreeMap<>();
    expected.put("min_over_time(temp{job=\"a\"}[1m])", "9");
    expected.put("max_over_time(temp{job=\"a\"}[1m])", "10");
    expected.put("sum_over_time(temp{job=\"a\"}[1m])", "30");
    expected.put("count_over_time(temp{job=\"a\"}[1m])", "4");
    expected.put("avg_over_time(temp{job=\"a\"}[1m])", "7.5");
    expected.put("last_over_time(temp{job=\"a\"}[1m])", "9.5");
    expected.put("increase(requests_total[1m])", "30");
    expected.put("rate(requests_total[1m])", "0.5");
    for (Map.Entry<String, String> e : expected.entrySet()) {
      JsonNode r = get("/api/v1/query?query=" + q(e.getKey()) + "&time=" + t, 200);
      assertThat(r.at("/data/resultType").asText()).isEqualTo("vector");
      assertThat(r.at("/data/result/0/value/1").asText()).as(e.getKey()).isEqualTo(e.getValue());
      assertThat(r.at("/data/result/0/value/0").asLong()).isEqualTo(t);
    }
    assertThat(
            get(
                    "/api/v1/query?query="
                        + q("last_over_time(temp{job=\"a\"}[1m])")
                        + "&time="
                        + t,
                    200)
                .at("/data/result/0/metric/__name__")
                .asText())
        .as("last_over_time keeps the name")
        .isEqualTo("temp");
    assertThat(
            get("/api/v1/query?query=" + q("increase(temp[1m])") + "&time=" + t, 200)
                .at("/data/result"))
        .as("a gauge has no increase")
        .isEmpty();
  }

  @Test
  void allFourMatchers() throws Exception {
    long t = T0 / 1000 + 60;
    Map<String, Integer> expected =
        Map.of(
            "max_over_time(temp{job=\"a\"}[1m])", 1,
            "max_over_time(temp{job!=\"a\"}[1m])", 1,
            "max_over_time(temp{dc=~\"x|y\"}[1m])", 2,
            "max_over_time(temp{dc!~\"x\"}[1m])", 1,
            "max_over_time({__name__=~\"temp|requests_total\"}[1m])", 3,
            "max_over_time(temp{job=\"nope\"}[1m])", 0);
    for (Map.Entry<String, Integer> e : expected.entrySet()) {
      assertThat(get("/api/v1/query?query=" + q(e.getKey()) + "&time=" + t, 200).at("/data/result"))
          .as(e.getKey())
          .hasSize(e.getValue());
    }
  }

  @Test
  void postWithAFormBodyAsGrafanaSends() throws Exception {
    long t = T0 / 1000 + 120;
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/query"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "query=" + q("max_over_time(temp{job=\"b\"}[1m])") + "&time=" + t))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).at("/data/result/0/value/1").asText()).isEqualTo("21");
    assertThat(get("/api/v1/query?query=1%2B1&time=" + t, 200).at("/data").toString())
        .isEqualTo("{\"resultType\":\"scalar\",\"result\":[" + t + ",\"2\"]}");
  }

  @Test
  void aFormBodyOverTheLimitGets413InTheApisErrorShape() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/query"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[(1 << 20) + 1]))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(413);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("status").asText()).isEqualTo("error");
    assertThat(body.get("error").asText())
        .isEqualTo("the request body is larger than 1048576 bytes");
  }

  @Test
  void promqlWithAggregationsAndOperatorsAnswersFromTheRollups() throws Exception {
    long t = T0 / 1000 + 120;
    JsonNode r =
        get(
            "/api/v1/query?query="
                + q("sum by (job) (max_over_time(temp[1m])) * 2 > 40")
                + "&time="
                + t,
            200);
    assertThat(r.at("/data/resultType").asText()).isEqualTo("vector");
    assertThat(r.at("/data/result").toString())
        .isEqualTo("[{\"metric\":{\"job\":\"b\"},\"value\":[" + t + ",\"42\"]}]");
    assertThat(
            get("/api/v1/query?query=" + q("temp{job=\"a\"}") + "&time=" + t, 200)
                .at("/data/result/0/value/1")
                .asText())
        .as("an instant selector is the last value of the newest closed window")
        .isEqualTo("10.5");
    JsonNode range =
        get(
            "/api/v1/query_range?query="
                + q("rate(requests_total[2m])")
                + "&start="
                + (T0 / 1000 + 120)
                + "&end="
                + (T0 / 1000 + 180)
                + "&step=60",
            200);
    assertThat(range.at("/data/result/0/values").toString())
        .as("two 1m windows: (30 + 60) / 120 s, then (60 + 90) / 120 s")
        .isEqualTo("[[" + (T0 / 1000 + 120) + ",\"0.75\"],[" + (T0 / 1000 + 180) + ",\"1.25\"]]");
  }

  @Test
  void unsupportedQueriesGetPrometheusErrorJson() throws Exception {
    JsonNode r = get("/api/v1/query?query=" + q("stddev(temp)"), 400);
    assertThat(r.get("status").asText()).isEqualTo("error");
    assertThat(r.get("errorType").asText()).isEqualTo("bad_data");
    assertThat(r.get("error").asText())
        .startsWith("invalid parameter \"query\":")
        .contains("stddev");
    assertThat(get("/api/v1/query?query=" + q("rate(x[90s])"), 400).get("error").asText())
        .isEqualTo(
            "range [1m30s] in rate(...) is not a multiple of a stored rollup resolution (1m, 5m):"
                + " the store keeps rollup windows, not raw samples");
    assertThat(get("/api/v1/query?query=" + q("temp[1m]"), 400).get("error").asText())
        .contains("range vector as the result is not supported");
    JsonNode execution =
        get(
            "/api/v1/query?query="
                + q("temp / on () group_left temp")
                + "&time="
                + (T0 / 1000 + 60),
            422);
    assertThat(execution.get("errorType").asText()).isEqualTo("execution");
    assertThat(execution.get("error").asText()).contains("found duplicate series");
    // The query limit (1,000 windows here): two series over a week of 1m windows could read more.
    JsonNode tooMany =
        get(
            "/api/v1/query_range?query="
                + q("max_over_time(temp[1m])")
                + "&start="
                + (T0 / 1000)
                + "&end="
                + (T0 / 1000 + 7 * 86_400)
                + "&step=3600",
            422);
    assertThat(tooMany.get("error").asText()).contains("too many samples");
    assertThat(
            get("/api/v1/query_range?query=" + q("rate(x[1m])") + "&start=10&end=5&step=1", 400)
                .get("error")
                .asText())
        .isEqualTo("end timestamp must not be before start time");
    assertThat(
            get("/api/v1/query_range?query=" + q("rate(x[1m])") + "&start=0&end=100000&step=1", 400)
                .get("error")
                .asText())
        .startsWith("exceeded maximum resolution of 11,000 points");
    assertThat(get("/api/v1/series", 400).get("error").asText())
        .isEqualTo("no match[] parameter provided");
  }

  @Test
  void seriesLabelsAndValues() throws Exception {
    assertThat(get("/api/v1/series?match[]=" + q("temp"), 200).get("data").toString())
        .isEqualTo(
            "[{\"__name__\":\"temp\",\"dc\":\"x\",\"job\":\"a\"},"
                + "{\"__name__\":\"temp\",\"dc\":\"y\",\"job\":\"b\"}]");
    assertThat(get("/api/v1/labels", 200).get("data").toString())
        .isEqualTo("[\"__name__\",\"dc\",\"job\"]");
    assertThat(get("/api/v1/label/job/values", 200).get("data").toString())
        .isEqualTo("[\"a\",\"b\"]");
    assertThat(get("/api/v1/label/__name__/values", 200).get("data").toString())
        .isEqualTo("[\"requests_total\",\"temp\"]");
    assertThat(
            get("/api/v1/label/job/values?match[]=" + q("requests_total"), 200)
                .get("data")
                .toString())
        .isEqualTo("[\"a\"]");
    assertThat(get("/api/v1/metadata", 200).get("data").toString())
        .isEqualTo(
            "{\"requests_total\":[{\"type\":\"counter\",\"help\":\"\",\"unit\":\"\"}],"
                + "\"temp\":[{\"type\":\"gauge\",\"help\":\"\",\"unit\":\"\"}]}");
    assertThat(get("/api/v1/metadata?metric=temp", 200).get("data").size()).isEqualTo(1);
    assertThat(get("/api/v1/metadata?limit=1", 200).get("data").size()).isEqualTo(1);
    JsonNode build = get("/api/v1/status/buildinfo", 200);
    assertThat(build.at("/data/version").asText())
        .as("the Prometheus API level Grafana reads")
        .isEqualTo("2.42.0");
    assertThat(build.at("/data/application").asText()).isEqualTo("metrics-pipeline");
  }

  @Test
  void startAndEndLimitSeriesAndLabelsToThoseWithDataInTheRange() throws Exception {
    long dayBefore = T0 - 86_400_000L;
    store.write(
        List.of(
            new RollupStore.Consumed(
                new TopicPartition("metrics.rollups.1m", 0),
                100,
                rollup("temp", Map.of("job", "c", "dc", "x"), dayBefore, 1))));
    assertThat(get("/api/v1/label/job/values", 200).get("data").toString())
        .as("no range: every stored series")
        .isEqualTo("[\"a\",\"b\",\"c\"]");
    String threeMinutes = "start=" + T0 / 1000 + "&end=" + (T0 / 1000 + 180);
    assertThat(get("/api/v1/label/job/values?" + threeMinutes, 200).get("data").toString())
        .isEqualTo("[\"a\",\"b\"]");
    assertThat(
            get("/api/v1/series?match[]=" + q("temp{dc=\"x\"}") + "&end=" + (T0 / 1000 - 3600), 200)
                .get("data")
                .toString())
        .as("end only: open start")
        .isEqualTo("[{\"__name__\":\"temp\",\"dc\":\"x\",\"job\":\"c\"}]");
    assertThat(get("/api/v1/labels?start=" + (T0 / 1000 + 3600), 200).get("data").toString())
        .as("after the last window")
        .isEqualTo("[]");
    JsonNode error = get("/api/v1/labels?start=" + (T0 / 1000 + 180) + "&end=" + T0 / 1000, 400);
    assertThat(error.get("errorType").asText()).isEqualTo("bad_data");
  }
}
