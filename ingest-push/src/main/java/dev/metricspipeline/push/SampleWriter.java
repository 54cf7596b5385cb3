package dev.metricspipeline.push;

import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.avro.MetricSample;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the gateway's accepted samples go. The future completes once every sample and side record
 * is durable, or fails and none is visible. {@link MetricsPublisher#publish(List, List)} is the
 * production implementation; tests use a list.
 */
@FunctionalInterface
public interface SampleWriter {
  CompletableFuture<Void> write(
      List<MetricSample> samples, List<MetricsPublisher.SideRecord> sideRecords);
}
