package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scraper against scripted targets on a real HTTP server: a good one, one whose series come and
 * go, one that stalls, one that resets the connection, one that answers 503, one whose body is too
 * big, one with too many samples. Published batches are recorded in memory.
 */
class ScraperTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private HttpServer server;
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicBoolean secondSeries = new AtomicBoolean(true);
  private final List<List<MetricSample>> batches = new ArrayList<>();
  private Scraper scraper;
  private Path configFile;

  private static void reply(HttpExchange ex, int status, String body, String type)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    String text = "text/plain; version=0.0.4";
    server.createContext(
        "/ok",
        ex ->
            reply(
                ex,
                200,
                "# TYPE app_requests_total counter\napp_requests_total{path=\"/\",job=\"inner\"} 5\napp_temp 21.5\n",
                text));
    server.createContext(
        "/dynamic",
        ex -> reply(ex, 200, "series_a 1\n" + (secondSeries.get() ? "series_b 2\n" : ""), text));
    server.createContext(
        "/stall",
        ex -> {
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          reply(ex, 200, "late 1\n", text);
        });
    server.createContext(
        "/stamped",
        ex ->
            reply(
                ex,
                200,
                "stamped_ok 1 1700000000000\nstamped_before_1970 2 -5\nstamped_future 3 "
                    + (System.currentTimeMillis() + 3_600_000)
                    + "\n",
                text));
    server.createContext("/reset", HttpExchange::close);
    server.createContext("/error", ex -> reply(ex, 503, "busy", "text/plain"));
    server.createContext("/big", ex -> reply(ex, 200, "big 1\n".repeat(20_000), text));
    server.createContext(
        "/many",
        ex -> {
          StringBuilder b = new StringBuilder();
          for (int i = 0; i < 50; i++) {
            b.append("many{i=\"").append(i).append("\"} 1\n");
          }
          reply(ex, 200, b.toString(), text);
        });
    server.start();
    configFile = dir.resolve("prometheus.yml");
    Files.writeString(configFile, config(true));
    scraper =
        Scraper.start(
            ScraperSettings.defaults().withListen("127.0.0.1", 0),
            () -> PullConfig.load(configFile),
            this::record,
            SeriesKey.standard(),
            meters);
  }

  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private String config(boolean withOk) {
    String target = "['127.0.0.1:" + server.getAddress().getPort() + "']";
    StringBuilder y =
        new StringBuilder(
            "global: {scrape_interval: 1s, scrape_timeout: 500ms}\nscrape_configs:\n");
    if (withOk) {
      y.append("  - {job_name: ok, metrics_path: /ok, static_configs: [{targets: ")
          .append(target)
          .append("}]}\n");
    }
    y.append(
            "  - {job_name: honor, honor_labels: true, metrics_path: /ok, static_configs: [{targets: ")
        .append(target)
        .append("}]}\n");
    y.append("  - {job_name: relabeled, metrics_path: /ok, static_configs: [{targets: ")
        .append(target)
        .append(
            "}], metric_relabel_configs: [{source_labels: [__name__], regex: app_temp, action: drop}]}\n");
    for (String job : List.of("dynamic", "stall", "reset", "error", "stamped")) {
      y.append("  - {job_name: ")
          .append(job)
          .append(", metrics_path: /")
          .append(job)
          .append(", static_configs: [{targets: ")
          .append(target)
          .append("}]}\n");
    }
    y.append(
            "  - {job_name: big, metrics_path: /big, body_size_limit: 1KB, static_configs: [{targets: ")
        .append(target)
        .append("}]}\n");
    y.append(
            "  - {job_name: many, metrics_path: /many, sample_limit: 10, static_configs: [{targets: ")
        .append(target)
        .append("}]}\n");
    y.append(
            "  - {job_name: limited, metrics_path: /ok, label_limit: 3, static_configs: [{targets: ")
        .append(target)
        .append("}]}\n");
    y.append(
            "  - {job_name: crowded, metrics_path: /ok, target_limit: 1, static_configs: [{targets: ")
        .append(target)
        .append(", labels: {n: '1'}}, {targets: ")
        .append(target)
        .append(", labels: {n: '2'}}]}\n");
    return y.toString();
  }

  private CompletableFuture<Void> record(List<MetricSample> batch) {
    synchronized (batches) {
      batches.add(List.copyOf(batch));
    }
    return CompletableFuture.completedFuture(null);
  }

  private List<List<MetricSample>> batchesOf(String job) {
    List<List<MetricSample>> out = new ArrayList<>();
    synchronized (batches) {
      for (List<MetricSample> b : batches) {
        if (b.stream()
            .anyMatch(s -> s.getName().equals("up") && job.equals(s.getLabels().get("job")))) {
          out.add(b);
        }
      }
    }
    return out;
  }

  /** The scraped (not report) series of a batch: name and labels. */
  private static List<String> series(List<MetricSample> batch) {
    return batch.stream()
        .filter(s -> !s.getName().equals("up") && !s.getName().startsWith("scrape_"))
        .map(s -> s.getName() + new java.util.TreeMap<>(s.getLabels()))
        .sorted()
        .toList();
  }

  private static double value(List<MetricSample> batch, String name) {
    return batch.stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow()
        .getValue();
  }

  private JsonNode targets() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(scraper.url() + "/api/v1/targets")).build(),
                HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  private String lastError(String job) throws Exception {
    for (JsonNode t : targets().at("/data/activeTargets")) {
      if (t.get("scrapePool").asText().equals(job)) {
        return t.get("lastError").asText();
      }
    }
    return null;
  }

  private HttpResponse<String> postReload() throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(scraper.url() + "/-/reload"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @AfterEach
  void stop() {
    release.countDown();
    scraper.close();
    server.stop(0);
  }

  @Test
  void goodAndBadTargets() throws Exception {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                List.of(
                        "ok",
                        "honor",
                        "relabeled",
                        "dynamic",
                        "stall",
                        "reset",
                        "error",
                        "big",
                        "many",
                        "limited",
                        "crowded")
                    .stream()
                    .allMatch(j -> batchesOf(j).size() >= 2));
    String instance = "127.0.0.1:" + server.getAddress().getPort();

    List<MetricSample> ok = batchesOf("ok").get(0);
    assertThat(value(ok, "up")).isEqualTo(1.0);
    assertThat(value(ok, "scrape_samples_scraped")).isEqualTo(2.0);
    assertThat(value(ok, "scrape_series_added")).isEqualTo(2.0);
    assertThat(value(batchesOf("ok").get(1), "scrape_series_added")).isZero();
    MetricSample requests =
        ok.stream().filter(s -> s.getName().equals("app_requests_total")).findFirst().orElseThrow();
    assertThat(requests.getLabels())
        .as("honor_labels false: the target's job wins, the exposed one is kept as exported_job")
        .containsEntry("job", "ok")
        .containsEntry("exported_job", "inner")
        .containsEntry("instance", instance)
        .containsEntry("path", "/");
    assertThat(requests.getScrapeTarget()).isEqualTo("http://" + instance + "/ok");

    List<MetricSample> honor = batchesOf("honor").get(0);
    assertThat(
            honor.stream()
                .filter(s -> s.getName().equals("app_requests_total"))
                .findFirst()
                .orElseThrow()
                .getLabels())
        .containsEntry("job", "inner")
        .doesNotContainKey("exported_job");

    List<MetricSample> relabeled = batchesOf("relabeled").get(0);
    assertThat(value(relabeled, "scrape_samples_scraped")).isEqualTo(2.0);
    assertThat(value(relabeled, "scrape_samples_post_metric_relabeling")).isEqualTo(1.0);
    assertThat(relabeled).noneMatch(s -> s.getName().equals("app_temp"));

    // The second scrape resolves its series from the scrape cache: the same series, labels and
    // drops as the first, which worked them out.
    for (String job : List.of("ok", "honor", "relabeled")) {
      assertThat(series(batchesOf(job).get(1))).as(job).isEqualTo(series(batchesOf(job).get(0)));
    }
    assertThat(batchesOf("relabeled").get(1)).noneMatch(s -> s.getName().equals("app_temp"));

    for (String bad : List.of("stall", "reset", "error", "big", "many", "limited")) {
      List<MetricSample> b = batchesOf(bad).get(0);
      assertThat(value(b, "up")).as(bad).isZero();
      assertThat(b)
          .as("%s: a failed scrape publishes only its report series", bad)
          .allMatch(s -> s.getName().equals("up") || s.getName().startsWith("scrape_"));
    }
    assertThat(lastError("stall")).startsWith("context deadline exceeded");
    assertThat(lastError("error")).isEqualTo("server returned HTTP status 503 Service Unavailable");
    assertThat(lastError("big")).isEqualTo("body size limit exceeded (limit: 1024 bytes)");
    assertThat(lastError("many")).isEqualTo("sample limit exceeded: 50 samples, limit 10");
    assertThat(lastError("reset")).isNotEmpty();
    // A series over a limit is never cached: every scrape fails, not only the first.
    assertThat(value(batchesOf("limited").get(1), "up")).isZero();
    assertThat(lastError("limited")).startsWith("label_limit exceeded (metric: app_requests_total");
    assertThat(lastError("crowded"))
        .isEqualTo("target_limit exceeded (number of targets: 2, limit: 1)");
    assertThat(batchesOf("crowded"))
        .allSatisfy(b -> assertThat(value(b, "up")).as("failed, not scraped").isZero());
    assertThat(lastError("ok")).isEmpty();
    JsonNode t = targets();
    assertThat(t.get("status").asText()).isEqualTo("success");
    assertThat(t.at("/data/activeTargets")).hasSize(13);
  }

  @Test
  void honouredTimestampsBeforeTheEpochOrTooFarAheadAreDroppedAndCounted() throws Exception {
    await().atMost(Duration.ofSeconds(20)).until(() -> batchesOf("stamped").size() >= 1);
    List<MetricSample> stamped = batchesOf("stamped").get(0);
    assertThat(value(stamped, "up")).as("the scrape itself succeeds").isEqualTo(1.0);
    assertThat(stamped)
        .filteredOn(s -> s.getName().startsWith("stamped_"))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName()).isEqualTo("stamped_ok");
              assertThat(s.getTimestamp()).isEqualTo(1_700_000_000_000L);
            });
    assertThat(meters.get("scraper.samples.out.of.bounds").counter().count())
        .isGreaterThanOrEqualTo(2);
    assertThat(meters.scrape()).contains("scraper_samples_out_of_bounds_total");
  }

  @Test
  void staleMarkersWhenASeriesGoesAndWhenATargetGoes() throws Exception {
    await().atMost(Duration.ofSeconds(20)).until(() -> batchesOf("dynamic").size() >= 1);
    secondSeries.set(false);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                batchesOf("dynamic").stream()
                    .anyMatch(
                        b ->
                            b.stream()
                                .anyMatch(
                                    s ->
                                        s.getName().equals("series_b")
                                            && StaleMarker.isStale(s.getValue()))));

    await().atMost(Duration.ofSeconds(20)).until(() -> batchesOf("ok").size() >= 1);
    Files.writeString(configFile, config(false));
    HttpResponse<String> reload = postReload();
    assertThat(reload.statusCode()).isEqualTo(200);
    List<MetricSample> last = batchesOf("ok").get(batchesOf("ok").size() - 1);
    assertThat(last)
        .as("the removed target's series and report series all go stale")
        .allMatch(s -> StaleMarker.isStale(s.getValue()))
        .anyMatch(s -> s.getName().equals("app_requests_total"))
        .anyMatch(s -> s.getName().equals("up"));
    assertThat(targets().at("/data/activeTargets")).hasSize(12);

    Files.writeString(configFile, "scrape_configs: [{job_name: x, scrape_intervall: 1s}]");
    HttpResponse<String> refused = postReload();
    assertThat(refused.statusCode()).isEqualTo(500);
    assertThat(refused.body()).contains("unknown key 'scrape_intervall'");
    assertThat(targets().at("/data/activeTargets")).as("the old config keeps running").hasSize(12);
  }
}
