package dev.metricspipeline.pull;

import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.runtime.Checks;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.SampleTimestamps;

/**
 * How a scraper instance runs (the scrape config itself is a {@link PullConfig}).
 *
 * @param host the address of {@code /metrics}, {@code /api/v1/targets}, {@code /-/reload}
 * @param port its port (0: any free one)
 * @param maxConcurrentScrapes scrapes in flight at once across all targets
 * @param replica the HA replica name: when set, every sample gets {@code __replica__=<replica>}
 *     (and {@code scraperReplica}), for two scraper groups scraping the same targets, left to the
 *     streams dedup
 * @param coordination how instances share targets; null: this instance scrapes every target
 * @param timestamps the sample times taken from a target that exposes its own ({@code
 *     honor_timestamps}); a sample outside them is dropped, counted in {@code
 *     scraper_samples_out_of_bounds_total} and logged, as Prometheus drops out-of-bounds samples
 * @param web TLS, basic auth and headers of the scraper's own HTTP server ({@code
 *     --web.config.file})
 */
public record ScraperSettings(
    String host,
    int port,
    int maxConcurrentScrapes,
    String replica,
    Coordination coordination,
    SampleTimestamps timestamps,
    WebConfig web) {

  public ScraperSettings {
    Checks.present("host", host);
    Checks.port("port", port);
    Checks.positive("maxConcurrentScrapes", maxConcurrentScrapes);
    Checks.present("timestamps", timestamps);
    Checks.present("web", web);
  }

  /**
   * Instances of one group share targets through Kafka: each owns the partitions of {@code topic}
   * the group assigns it, and a target belongs to partition {@code murmur2(target key) mod
   * partitions}.
   *
   * @param kafka the connection to the Kafka holding the coordination topic
   * @param partitions partitions of the coordination topic when this instance creates it
   * @param sessionTimeoutMs how long a dead instance holds its targets
   */
  public record Coordination(
      KafkaConnection kafka, String topic, String groupId, int partitions, int sessionTimeoutMs) {
    public Coordination {
      Checks.present("kafka", kafka);
      Checks.present("topic", topic);
      Checks.present("groupId", groupId);
      Checks.positive("partitions", partitions);
      Checks.positive("sessionTimeoutMs", sessionTimeoutMs);
    }

    /**
     * Topic {@code metrics.scrape-shards} (32 partitions), group {@code metrics-pipeline-scraper},
     * 10 s.
     */
    public static Coordination defaults(KafkaConnection kafka) {
      return new Coordination(
          kafka, "metrics.scrape-shards", "metrics-pipeline-scraper", 32, 10_000);
    }
  }

  /** 127.0.0.1:9094, 256 scrapes at once, no replica label, no coordination. */
  public static ScraperSettings defaults() {
    return new ScraperSettings(
        "127.0.0.1", 9094, 256, null, null, SampleTimestamps.defaults(), WebConfig.none());
  }

  public ScraperSettings withListen(String host, int port) {
    return new ScraperSettings(
        host, port, maxConcurrentScrapes, replica, coordination, timestamps, web);
  }

  public ScraperSettings withReplica(String replica) {
    return new ScraperSettings(
        host, port, maxConcurrentScrapes, replica, coordination, timestamps, web);
  }

  public ScraperSettings withTimestamps(SampleTimestamps timestamps) {
    return new ScraperSettings(
        host, port, maxConcurrentScrapes, replica, coordination, timestamps, web);
  }

  public ScraperSettings withCoordination(Coordination coordination) {
    return new ScraperSettings(
        host, port, maxConcurrentScrapes, replica, coordination, timestamps, web);
  }

  /** Behind a web config ({@code --web.config.file}): TLS, basic auth, response headers. */
  public ScraperSettings withWeb(WebConfig web) {
    return new ScraperSettings(
        host, port, maxConcurrentScrapes, replica, coordination, timestamps, web);
  }
}
