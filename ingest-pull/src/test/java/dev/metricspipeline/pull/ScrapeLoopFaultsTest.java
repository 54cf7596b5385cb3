package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.metricspipeline.runtime.StageHealth;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scrape loop cannot die: a publisher that throws, fails or never answers makes the scraper not
 * ready and counts stage faults, and the loop scrapes again as soon as the publisher works.
 */
class ScrapeLoopFaultsTest {

  enum Mode {
    OK,
    THROW,
    FAIL,
    HANG
  }

  @TempDir Path dir;
  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicReference<Mode> mode = new AtomicReference<>(Mode.THROW);
  private final AtomicInteger published = new AtomicInteger();
  private HttpServer target;
  private Scraper scraper;

  /** One second is the deadline after which a publish that never answers is given up. */
  private final ScrapePublisher publisher =
      new ScrapePublisher() {
        @Override
        public CompletableFuture<Void> publish(List<MetricSample> samples) {
          return switch (mode.get()) {
            case OK -> {
              published.incrementAndGet();
              yield CompletableFuture.completedFuture(null);
            }
            case THROW -> throw new IllegalStateException("publisher bug");
            case FAIL -> CompletableFuture.failedFuture(new IllegalStateException("broker gone"));
            case HANG -> new CompletableFuture<>();
          };
        }

        @Override
        public Duration deadline() {
          return Duration.ofSeconds(1);
        }
      };

  @AfterEach
  void stop() {
    if (scraper != null) {
      scraper.close();
    }
    if (target != null) {
      target.stop(0);
    }
  }

  private double faults() {
    return meters.get("stage.faults").tag("stage", "scraper").functionCounter().count();
  }

  @Test
  void aLoopWhosePublisherThrowsFailsOrHangsIsCountedShownAndGoesOn() throws Exception {
    target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    target.createContext(
        "/metrics",
        ex -> {
          byte[] body = "loop_alive 1\n".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    target.start();
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        "global: {scrape_interval: 1s, scrape_timeout: 500ms}\n"
            + "scrape_configs: [{job_name: loop, static_configs: [{targets: ['127.0.0.1:"
            + target.getAddress().getPort()
            + "']}]}]\n");
    scraper =
        Scraper.start(
            ScraperSettings.defaults().withListen("127.0.0.1", 0),
            () -> PullConfig.load(config),
            publisher,
            SeriesKey.standard(),
            meters);

    await("a publisher that throws: more than five faults, not ready")
        .atMost(Duration.ofSeconds(20))
        .until(() -> !scraper.ready());
    assertThat(faults()).isGreaterThan(5);
    assertThat(StageHealth.failedStages(meters)).containsExactly("scraper");

    mode.set(Mode.OK);
    await("the same loop publishes again and the scraper is ready")
        .atMost(Duration.ofSeconds(10))
        .until(() -> published.get() > 0 && scraper.ready());

    mode.set(Mode.FAIL);
    double before = faults();
    await("lost batches are faults too")
        .atMost(Duration.ofSeconds(20))
        .until(() -> !scraper.ready());
    assertThat(faults()).isGreaterThan(before + 5);

    mode.set(Mode.HANG);
    double hanging = faults();
    await("a publish that never answers is given up after timeout + deadline")
        .atMost(Duration.ofSeconds(20))
        .until(() -> faults() > hanging);
    int sofar = published.get();
    mode.set(Mode.OK);
    await("and the loop goes on once the publisher answers")
        .atMost(Duration.ofSeconds(10))
        .until(() -> published.get() > sofar && scraper.ready());
  }
}
