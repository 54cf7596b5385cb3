package dev.metricspipeline.push;

import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the gateway's accepted samples go. The future completes once every sample and side record
 * is durable, or fails and none is visible. {@link #of(MetricsPublisher)} is the production
 * implementation; tests use a list.
 */
@FunctionalInterface
public interface SampleWriter {
  CompletableFuture<Void> write(
      List<MetricSample> samples, List<MetricsPublisher.SideRecord> sideRecords);

  /**
   * As {@link #write(List, List)}, given each sample's series encoded for the samples topic (null
   * where it has none), its id made with the gateway's series key; this default ignores them.
   */
  default CompletableFuture<Void> write(
      List<MetricSample> samples,
      List<EncodedSeries> series,
      List<MetricsPublisher.SideRecord> sideRecords) {
    return write(samples, sideRecords);
  }

  /** Writes through a {@link MetricsPublisher}, reusing encoded series. */
  static SampleWriter of(MetricsPublisher publisher) {
    return new SampleWriter() {
      @Override
      public CompletableFuture<Void> write(
          List<MetricSample> samples, List<MetricsPublisher.SideRecord> sideRecords) {
        return publisher.publish(samples, sideRecords);
      }

      @Override
      public CompletableFuture<Void> write(
          List<MetricSample> samples,
          List<EncodedSeries> series,
          List<MetricsPublisher.SideRecord> sideRecords) {
        return publisher.publishEncoded(samples, series, sideRecords);
      }
    };
  }
}
