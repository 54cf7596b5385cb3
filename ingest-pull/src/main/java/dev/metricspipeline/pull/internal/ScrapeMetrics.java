package dev.metricspipeline.pull.internal;

import dev.metricspipeline.runtime.StageHealth;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scraper's own counters (scrapes by result, samples published, out-of-bounds drops) and its
 * health as a stage ({@code stage_up{stage="scraper"}}): a scrape loop that throws, wedges or loses
 * a batch is a fault; more than five in a row and the scraper is not ready until a batch gets
 * through again.
 */
public final class ScrapeMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(ScrapeMetrics.class);
  private final MeterRegistry meters;
  private final StageHealth health;
  private final Counter published;
  private final Counter outOfBounds;

  public ScrapeMetrics(MeterRegistry meters) {
    this.meters = meters;
    this.health = StageHealth.of("scraper").bindTo(meters);
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
                + " limit, parse, skipped_overlap, publish_failed, error")
        .register(meters)
        .increment();
  }

  /** The stage's health: not healthy after more than five loop faults in a row. */
  public StageHealth health() {
    return health;
  }

  void loopFault(String what) {
    int streak = health.fault(what);
    LOG.warn("Scraper fault ({} in a row): {}", streak, what);
  }

  void loopOk() {
    health.recovered();
  }

  void outOfBounds(int n) {
    outOfBounds.increment(n);
  }

  void published(int n) {
    published.increment(n);
  }
}
