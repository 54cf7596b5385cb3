package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;

/**
 * The source fields of a sample (origin, push group and id, scrape target, scraper replica, source)
 * as the very objects one sample carried: the samples of one request or one scrape share them, so
 * their encoded bytes can be copied from the last ones written whenever {@link #isOf}.
 */
record SampleSource(
    Origin origin,
    String pushGroup,
    String pushId,
    String scrapeTarget,
    String scraperReplica,
    String source) {

  static SampleSource of(MetricSample s) {
    return new SampleSource(
        s.getOrigin(),
        s.getPushGroup(),
        s.getPushId(),
        s.getScrapeTarget(),
        s.getScraperReplica(),
        s.getSource());
  }

  /** Whether {@code s}'s source fields are these very objects (identity, not equality). */
  boolean isOf(MetricSample s) {
    return s.getOrigin() == origin
        && s.getPushGroup() == pushGroup
        && s.getPushId() == pushId
        && s.getScrapeTarget() == scrapeTarget
        && s.getScraperReplica() == scraperReplica
        && s.getSource() == source;
  }
}
