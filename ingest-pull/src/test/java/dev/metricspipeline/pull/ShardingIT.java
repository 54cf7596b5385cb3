package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two scraper instances in one Kafka consumer group on 200 targets: every target is scraped by
 * exactly one of them; stop one, and the other takes all 200.
 */
@ExtendWith(KafkaExtension.class)
class ShardingIT {

  private static final int TARGETS = 200;

  /** Records which targets (label i) an instance scraped. */
  private static final class Seen {
    final Set<String> targets = ConcurrentHashMap.newKeySet();

    CompletableFuture<Void> publish(List<MetricSample> batch) {
      for (MetricSample s : batch) {
        if (s.getName().equals("up")) {
          targets.add(s.getLabels().get("i"));
        }
      }
      return CompletableFuture.completedFuture(null);
    }
  }

  @Test
  void everyTargetHasExactlyOneOwnerAndASurvivorTakesThemAll(KafkaCluster kafka) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext(
        "/metrics",
        ex -> {
          byte[] body = "work_done_total 1\n".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    StringBuilder groups = new StringBuilder();
    for (int i = 0; i < TARGETS; i++) {
      groups
          .append("      - {targets: ['127.0.0.1:")
          .append(server.getAddress().getPort())
          .append("'], labels: {i: '")
          .append(i)
          .append("'}}\n");
    }
    String yaml =
        "scrape_configs:\n  - job_name: fleet\n    scrape_interval: 2s\n    scrape_timeout: 1s\n"
            + "    static_configs:\n"
            + groups;
    ScraperSettings.Coordination coordination =
        new ScraperSettings.Coordination(
            KafkaConnection.of(kafka.bootstrapServers()),
            kafka.uniqueTopic("shards"),
            "sharding-it",
            32,
            6000);
    ScraperSettings settings =
        ScraperSettings.defaults().withListen("127.0.0.1", 0).withCoordination(coordination);
    Seen seenA = new Seen();
    Seen seenB = new Seen();
    Scraper a =
        Scraper.start(
            settings,
            () -> PullConfig.parse(yaml, "fleet.yml", null),
            seenA::publish,
            SeriesKey.standard(),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    Scraper b =
        Scraper.start(
            settings,
            () -> PullConfig.parse(yaml, "fleet.yml", null),
            seenB::publish,
            SeriesKey.standard(),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  a.ready()
                      && b.ready()
                      && a.activeTargets() > 0
                      && b.activeTargets() > 0
                      && a.activeTargets() + b.activeTargets() == TARGETS);
      int ownedByA = a.activeTargets();
      seenA.targets.clear();
      seenB.targets.clear();
      // Three intervals with a stable assignment: each target scraped, by one instance only.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> seenA.targets.size() + seenB.targets.size() >= TARGETS);
      Set<String> both = new HashSet<>(seenA.targets);
      both.retainAll(seenB.targets);
      assertThat(both).as("targets scraped by both instances").isEmpty();
      Set<String> all = new HashSet<>(seenA.targets);
      all.addAll(seenB.targets);
      assertThat(all).hasSize(TARGETS);
      assertThat(seenA.targets).hasSize(ownedByA);

      long stopped = System.nanoTime();
      b.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> a.activeTargets() == TARGETS);
      long tookMs = (System.nanoTime() - stopped) / 1_000_000;
      seenA.targets.clear();
      await().atMost(Duration.ofSeconds(30)).until(() -> seenA.targets.size() == TARGETS);
      System.out.printf(
          "ShardingIT: A owned %d of %d, B %d; after B stopped, A owned all %d in %d ms%n",
          ownedByA, TARGETS, TARGETS - ownedByA, TARGETS, tookMs);
    } finally {
      a.close();
      server.stop(0);
    }
  }
}
