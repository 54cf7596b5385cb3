package dev.metricspipeline.schemas;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.Map;
import java.util.TreeMap;

/** Sample records for tests. */
public final class Samples {
  private Samples() {}

  public static MetricSample gauge(
      String name, Map<String, String> labels, double value, long timestamp) {
    return MetricSample.newBuilder()
        .setName(name)
        .setLabels(new TreeMap<>(labels))
        .setType(SampleType.GAUGE)
        .setValue(value)
        .setTimestamp(timestamp)
        .setIngestTimestamp(timestamp + 5)
        .setOrigin(Origin.PUSH_PROMETHEUS)
        .setPushGroup("job=\"batch_job\"")
        .setPushId("p-1")
        .build();
  }
}
