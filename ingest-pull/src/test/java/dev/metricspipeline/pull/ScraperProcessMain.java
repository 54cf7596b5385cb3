package dev.metricspipeline.pull;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.SeriesKey;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A scraper in a JVM of its own for {@link ShardingCrashIT}: {@code bootstrap topic group
 * sessionTimeoutMs configFile}. Samples are dropped; it prints "owns N" when its share changes.
 */
public final class ScraperProcessMain {

  private ScraperProcessMain() {}

  public static void main(String[] args) throws Exception {
    ScraperSettings.Coordination coordination =
        new ScraperSettings.Coordination(
            KafkaConnection.of(args[0]), args[1], args[2], 32, Integer.parseInt(args[3]));
    Scraper.start(
        ScraperSettings.defaults().withListen("127.0.0.1", 0).withCoordination(coordination),
        () -> PullConfig.load(Path.of(args[4])),
        batch -> CompletableFuture.completedFuture(null),
        SeriesKey.standard(),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    Thread.currentThread().join();
  }
}
