package dev.metricspipeline.formats.internal;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one way every parser builds a sample: labels sorted and copied, origin left to the caller.
 */
public final class ParsedSamples {
  private ParsedSamples() {}

  public static MetricSample of(
      String name,
      Map<String, String> labels,
      SampleType type,
      double value,
      long timestamp,
      long ingestTimestamp) {
    return MetricSample.newBuilder()
        .setName(name)
        .setLabels(new TreeMap<>(labels))
        .setType(type)
        .setValue(value)
        .setTimestamp(timestamp)
        .setIngestTimestamp(ingestTimestamp)
        .setOrigin(Origin.UNKNOWN)
        .build();
  }
}
