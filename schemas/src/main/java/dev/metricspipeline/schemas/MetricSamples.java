package dev.metricspipeline.schemas;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.Map;

/**
 * Makes {@link MetricSample}s without boxing. Avro's all-args constructor takes its value as a
 * {@code Double} and both timestamps as {@code Long}s, so every sample made with it may allocate
 * three boxes on the way to its primitive fields (JFR found the {@code Long}s of {@code
 * ParsedSample.toAvro} among the gateway's allocations); the setters take primitives.
 */
public final class MetricSamples {

  private MetricSamples() {}

  /** The sample Avro's all-args constructor makes of the same fields, in the same order. */
  public static MetricSample of(
      String name,
      Map<String, String> labels,
      SampleType type,
      double value,
      long timestamp,
      long ingestTimestamp,
      Origin origin,
      String pushGroup,
      String pushId,
      String scrapeTarget,
      String scraperReplica,
      String source,
      String seriesId) {
    MetricSample sample = new MetricSample();
    sample.setName(name);
    sample.setLabels(labels);
    sample.setType(type);
    sample.setValue(value);
    sample.setTimestamp(timestamp);
    sample.setIngestTimestamp(ingestTimestamp);
    sample.setOrigin(origin);
    sample.setPushGroup(pushGroup);
    sample.setPushId(pushId);
    sample.setScrapeTarget(scrapeTarget);
    sample.setScraperReplica(scraperReplica);
    sample.setSource(source);
    sample.setSeriesId(seriesId);
    return sample;
  }
}
