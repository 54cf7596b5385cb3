package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scraper instance in another JVM is killed with SIGKILL (no leave-group): the surviving instance
 * takes all its targets once the group's session timeout (6 s here) expires.
 */
@ExtendWith(KafkaExtension.class)
class ShardingCrashIT {

  private static final int TARGETS = 64;
  private static final int SESSION_TIMEOUT_MS = 6000;

  @Test
  void aKilledInstancesTargetsMoveToTheSurvivor(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    StringBuilder yaml =
        new StringBuilder(
            "scrape_configs:\n  - job_name: fleet\n    scrape_interval: 5s\n    static_configs:\n");
    for (int i = 0; i < TARGETS; i++) {
      // Nothing listens there: the targets fail fast, which is enough to own them.
      yaml.append("      - {targets: ['127.0.0.1:9'], labels: {i: '").append(i).append("'}}\n");
    }
    Path config = dir.resolve("fleet.yml");
    Files.writeString(config, yaml);
    String topic = kafka.uniqueTopic("shards");
    String group = "sharding-crash-" + topic;
    ScraperSettings.Coordination coordination =
        new ScraperSettings.Coordination(
            KafkaConnection.of(kafka.bootstrapServers()), topic, group, 32, SESSION_TIMEOUT_MS);
    try (Scraper survivor =
        Scraper.start(
            ScraperSettings.defaults().withListen("127.0.0.1", 0).withCoordination(coordination),
            () -> PullConfig.load(config),
            batch -> CompletableFuture.completedFuture(null),
            SeriesKey.standard(),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> survivor.activeTargets() == TARGETS);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process other =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  ScraperProcessMain.class.getName(),
                  kafka.bootstrapServers(),
                  topic,
                  group,
                  Integer.toString(SESSION_TIMEOUT_MS),
                  config.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("other.log").toFile())
              .start();
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> survivor.activeTargets() > 0 && survivor.activeTargets() < TARGETS);
        int kept = survivor.activeTargets();
        long killed = System.nanoTime();
        other.destroyForcibly(); // SIGKILL: no LeaveGroup, the broker must time the member out
        assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> survivor.activeTargets() == TARGETS);
        System.out.printf(
            "ShardingCrashIT: the survivor had %d of %d; after SIGKILL of the other it had all in"
                + " %d ms (session timeout %d ms)%n",
            kept, TARGETS, (System.nanoTime() - killed) / 1_000_000, SESSION_TIMEOUT_MS);
      } finally {
        other.destroyForcibly();
      }
    }
  }
}
