package dev.metricspipeline.sink;

import dev.metricspipeline.schemas.avro.SampleType;

/**
 * A metric family's type, as Prometheus's {@code /api/v1/metadata} lists it: the family name of a
 * {@code # TYPE} line ({@code http_request_duration_seconds} for its {@code _bucket}, {@code _sum}
 * and {@code _count} series) and the type's name ({@code counter}, {@code gauge}, {@code
 * histogram}, {@code gaugehistogram}, {@code summary}, {@code info}, {@code stateset}, {@code
 * unknown}).
 */
public record MetricMetadata(String family, String type) {

  /**
   * The family and type of a stored series' metric name and sample type; null for created-time
   * series, which belong to a family listed through its other series.
   */
  public static MetricMetadata of(String metric, SampleType type) {
    return switch (type) {
      case COUNTER -> new MetricMetadata(metric, "counter");
      case GAUGE -> new MetricMetadata(metric, "gauge");
      case UNTYPED -> new MetricMetadata(metric, "unknown");
      case HISTOGRAM_BUCKET -> new MetricMetadata(strip(metric, "_bucket"), "histogram");
      case HISTOGRAM_SUM -> new MetricMetadata(strip(metric, "_sum"), "histogram");
      case HISTOGRAM_COUNT -> new MetricMetadata(strip(metric, "_count"), "histogram");
      case GAUGE_HISTOGRAM_BUCKET -> new MetricMetadata(strip(metric, "_bucket"), "gaugehistogram");
      case GAUGE_HISTOGRAM_GSUM -> new MetricMetadata(strip(metric, "_gsum"), "gaugehistogram");
      case GAUGE_HISTOGRAM_GCOUNT -> new MetricMetadata(strip(metric, "_gcount"), "gaugehistogram");
      case SUMMARY_QUANTILE -> new MetricMetadata(metric, "summary");
      case SUMMARY_SUM -> new MetricMetadata(strip(metric, "_sum"), "summary");
      case SUMMARY_COUNT -> new MetricMetadata(strip(metric, "_count"), "summary");
      case INFO -> new MetricMetadata(strip(metric, "_info"), "info");
      case STATESET -> new MetricMetadata(metric, "stateset");
      case CREATED -> null;
    };
  }

  private static String strip(String metric, String suffix) {
    return metric.endsWith(suffix)
        ? metric.substring(0, metric.length() - suffix.length())
        : metric;
  }
}
