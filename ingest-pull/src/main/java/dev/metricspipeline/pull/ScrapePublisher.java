package dev.metricspipeline.pull;

import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Where the scraper's samples go; {@code MetricsPublisher::publish} under every command. */
@FunctionalInterface
public interface ScrapePublisher {

  /** Publishes one scrape's samples and report series; completes when they are durable. */
  CompletableFuture<Void> publish(List<MetricSample> samples);

  /**
   * As {@link #publish(List)}, given the series of each sample from the scraper's cache (null where
   * it has none): its id, made with the {@code SeriesKey} the scraper was started with, and its
   * encoding; this default ignores them.
   */
  default CompletableFuture<Void> publish(List<MetricSample> samples, List<EncodedSeries> series) {
    return publish(samples);
  }

  /** Publishes through a {@link MetricsPublisher}, reusing the scraper's encoded series. */
  static ScrapePublisher of(MetricsPublisher publisher) {
    return new ScrapePublisher() {
      @Override
      public CompletableFuture<Void> publish(List<MetricSample> samples) {
        return publisher.publish(samples);
      }

      @Override
      public CompletableFuture<Void> publish(
          List<MetricSample> samples, List<EncodedSeries> series) {
        return publisher.publishEncoded(samples, series);
      }
    };
  }

  /**
   * How long a publish may take before its loop takes it for lost (a future that never completes):
   * the producer's delivery timeout, two minutes by default.
   */
  default Duration deadline() {
    return Duration.ofMinutes(2);
  }
}
