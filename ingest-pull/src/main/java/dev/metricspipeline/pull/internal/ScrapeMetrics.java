package dev.metricspipeline.pull.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The scraper's own counters: scrapes by result and samples published. */
public final class ScrapeMetrics {
  private final MeterRegistry meters;
  private final Counter published;

  public ScrapeMetrics(MeterRegistry meters) {
    this.meters = meters;
    this.published =
        Counter.builder("scraper.samples.published")
            .description("Samples (and stale markers) published to Kafka")
            .register(meters);
  }

  void scrape(String result) {
    Counter.builder("scraper.scrapes")
        .tag("result", result)
        .description(
            "Scrapes by result: success, http_status, timeout, connection, body_size_limit,"
                + " limit, parse, skipped_overlap, publish_failed")
        .register(meters)
        .increment();
  }

  void published(int n) {
    published.increment(n);
  }
}
