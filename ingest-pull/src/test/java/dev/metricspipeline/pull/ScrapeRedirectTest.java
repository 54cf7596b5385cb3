package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code follow_redirects}: followed unless a job says false, as Prometheus does. */
class ScrapeRedirectTest {

  @TempDir Path dir;
  private final List<MetricSample> published = new CopyOnWriteArrayList<>();
  private HttpServer target;
  private Scraper scraper;

  @AfterEach
  void stop() {
    if (scraper != null) {
      scraper.close();
    }
    if (target != null) {
      target.stop(0);
    }
  }

  private double up(String job) {
    return published.stream()
        .filter(s -> s.getName().equals("up") && job.equals(s.getLabels().get("job")))
        .reduce((a, b) -> b)
        .map(MetricSample::getValue)
        .orElse(-1.0);
  }

  @Test
  void aRedirectIsFollowedByDefaultAndNotWhenTheJobSaysFalse() throws Exception {
    target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    target.createContext(
        "/old",
        ex -> {
          ex.getResponseHeaders().add("Location", "/metrics");
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    target.createContext(
        "/metrics",
        ex -> {
          byte[] body = "redirected_ok 1\n".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    target.start();
    String address = "'127.0.0.1:" + target.getAddress().getPort() + "'";
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        "global: {scrape_interval: 1s, scrape_timeout: 500ms}\nscrape_configs:\n"
            + "  - {job_name: follow, metrics_path: /old, static_configs: [{targets: ["
            + address
            + "]}]}\n"
            + "  - {job_name: stay, metrics_path: /old, follow_redirects: false,"
            + " static_configs: [{targets: ["
            + address
            + "]}]}\n");
    scraper =
        Scraper.start(
            ScraperSettings.defaults().withListen("127.0.0.1", 0),
            () -> PullConfig.load(config),
            samples -> {
              published.addAll(samples);
              return CompletableFuture.completedFuture(null);
            },
            SeriesKey.standard(),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));

    await("both jobs scraped")
        .atMost(Duration.ofSeconds(15))
        .until(() -> up("follow") >= 0 && up("stay") >= 0);
    assertThat(up("follow")).isEqualTo(1.0);
    assertThat(published)
        .anyMatch(
            s -> s.getName().equals("redirected_ok") && "follow".equals(s.getLabels().get("job")));
    assertThat(up("stay")).as("a 302 not followed is a failed scrape").isEqualTo(0.0);
  }
}
