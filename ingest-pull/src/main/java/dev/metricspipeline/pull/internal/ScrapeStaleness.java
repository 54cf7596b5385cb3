package dev.metricspipeline.pull.internal;

import dev.metricspipeline.schemas.avro.MetricSample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prometheus's staleness for one target: the series of its last successful scrape, and a stale
 * marker ({@link dev.metricspipeline.schemas.StaleMarker}) for each when it goes missing from the
 * next scrape, when a scrape fails, or when the target goes away. Used from the target's event loop
 * only.
 */
final class ScrapeStaleness {

  private Map<String, MetricSample> lastSeries = new LinkedHashMap<>();

  /**
   * After a successful scrape: adds its samples (with their series ids) to the batch, then a stale
   * marker for every series of the last scrape that this one lacks.
   *
   * @return how many of the scrape's series the last scrape did not have ({@code
   *     scrape_series_added})
   */
  int succeeded(
      List<MetricSample> samples,
      List<String> ids,
      long start,
      List<MetricSample> batch,
      List<String> batchIds) {
    Map<String, MetricSample> current = new LinkedHashMap<>();
    for (int i = 0; i < samples.size(); i++) {
      MetricSample s = samples.get(i);
      String id = ids.get(i);
      current.put(id, s);
      batch.add(s);
      batchIds.add(id);
    }
    int added = 0;
    for (String id : current.keySet()) {
      if (!lastSeries.containsKey(id)) {
        added++;
      }
    }
    for (Map.Entry<String, MetricSample> e : lastSeries.entrySet()) {
      if (!current.containsKey(e.getKey())) {
        batch.add(ScrapeProcessor.stale(e.getValue(), start));
        batchIds.add(e.getKey());
      }
    }
    lastSeries = current;
    return added;
  }

  /** A stale marker at {@code ts} for every series of the last scrape, which are then forgotten. */
  List<MetricSample> allStale(long ts) {
    List<MetricSample> markers = new ArrayList<>(lastSeries.size() + 8);
    for (MetricSample s : lastSeries.values()) {
      markers.add(ScrapeProcessor.stale(s, ts));
    }
    lastSeries = new LinkedHashMap<>();
    return markers;
  }

  /** Takes over the series of a previous loop for the same target. */
  void adopt(ScrapeStaleness previous) {
    this.lastSeries = previous.lastSeries;
  }
}
