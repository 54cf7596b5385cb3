package dev.metricspipeline.sink;

import java.util.Map;

/**
 * A series as stored: its id (a stable hash of the series key), metric name and labels (without
 * {@code __name__}).
 */
public record StoredSeries(long id, String metric, Map<String, String> labels) {
  public StoredSeries {
    labels = Map.copyOf(labels);
  }
}
