package dev.metricspipeline.pull;

import dev.metricspipeline.schemas.avro.MetricSample;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Where the scraper's samples go; {@code MetricsPublisher::publish} under every command. */
@FunctionalInterface
public interface ScrapePublisher {

  /** Publishes one scrape's samples and report series; completes when they are durable. */
  CompletableFuture<Void> publish(List<MetricSample> samples);

  /**
   * How long a publish may take before its loop takes it for lost (a future that never completes):
   * the producer's delivery timeout, two minutes by default.
   */
  default Duration deadline() {
    return Duration.ofMinutes(2);
  }
}
