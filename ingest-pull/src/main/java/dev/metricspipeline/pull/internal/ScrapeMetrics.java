package dev.metricspipeline.pull.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The scraper's own counters: scrapes by result, samples published and out-of-bounds drops. */
public final class ScrapeMetrics {
  private final MeterRegistry meters;
  private final Counter published;
  private final Counter outOfBounds;

  public ScrapeMetrics(MeterRegistry meters) {
    this.meters = meters;
    this.published =
        Counter.builder("scraper.samples.published")
            .description("Samples (and stale markers) published to Kafka")
            .register(meters);
    this.outOfBounds =
        Counter.builder("scraper.samples.out.of.bounds")
            .description(
                "Samples dropped because their own timestamp was before 1970 or too far ahead")
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

  void outOfBounds(int n) {
    outOfBounds.increment(n);
  }

  void published(int n) {
    published.increment(n);
  }
}
