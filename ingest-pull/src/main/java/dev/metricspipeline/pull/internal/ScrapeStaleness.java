package dev.metricspipeline.pull.internal;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.serde.EncodedSeries;
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
  // The last scrape's series in order when none repeated (else null). A target usually lists the
  // same series in the same order every scrape: then the last series are updated in place,
  // unhashed.
  private List<EncodedSeries> lastOrder;

  /**
   * After a successful scrape: adds its samples (with their series) to the batch, then a stale
   * marker for every series of the last scrape that this one lacks (with a null series: the
   * publisher keys it).
   *
   * @return how many of the scrape's series the last scrape did not have ({@code
   *     scrape_series_added})
   */
  int succeeded(
      List<MetricSample> samples,
      List<EncodedSeries> series,
      long start,
      List<MetricSample> batch,
      List<EncodedSeries> batchSeries) {
    batch.addAll(samples);
    batchSeries.addAll(series);
    if (lastOrder != null && sameInOrder(series, lastOrder)) {
      int i = 0;
      for (Map.Entry<String, MetricSample> e : lastSeries.entrySet()) {
        e.setValue(samples.get(i++));
      }
      return 0;
    }
    Map<String, MetricSample> current = new LinkedHashMap<>(series.size() * 4 / 3 + 16);
    for (int i = 0; i < samples.size(); i++) {
      current.put(series.get(i).id(), samples.get(i));
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
        batchSeries.add(null);
      }
    }
    lastSeries = current;
    lastOrder = current.size() == series.size() ? List.copyOf(series) : null;
    return added;
  }

  private static boolean sameInOrder(List<EncodedSeries> series, List<EncodedSeries> last) {
    if (series.size() != last.size()) {
      return false;
    }
    for (int i = 0; i < series.size(); i++) {
      EncodedSeries is = series.get(i);
      EncodedSeries was = last.get(i);
      if (is != was && !is.id().equals(was.id())) {
        return false;
      }
    }
    return true;
  }

  /** A stale marker at {@code ts} for every series of the last scrape, which are then forgotten. */
  List<MetricSample> allStale(long ts) {
    List<MetricSample> markers = new ArrayList<>(lastSeries.size() + 8);
    for (MetricSample s : lastSeries.values()) {
      markers.add(ScrapeProcessor.stale(s, ts));
    }
    lastSeries = new LinkedHashMap<>();
    lastOrder = null;
    return markers;
  }

  /** Takes over the series of a previous loop for the same target. */
  void adopt(ScrapeStaleness previous) {
    // A copy: this loop updates its map in place, and the previous loop may still finish a scrape.
    this.lastSeries = new LinkedHashMap<>(previous.lastSeries);
    this.lastOrder = previous.lastOrder;
  }
}
