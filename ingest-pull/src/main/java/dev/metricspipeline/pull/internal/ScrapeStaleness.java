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

  // The last scrape's series in order and its samples at the same positions, when no series
  // repeated in it (else both null). A target usually lists the same series in the same order
  // every scrape: then the scrape's own two lists replace them, and nothing is hashed or written
  // per series (writing each new sample into a long-lived map entry cost a GC card per series).
  // Neither list is changed after it is handed in.
  private InOrder lastInOrder;
  // The last scrape's series by id, each with one of its samples (its stale marker's prototype).
  // Null while lastInOrder holds them: made from it when a scrape's series differ.
  private Map<String, MetricSample> lastSeries = new LinkedHashMap<>();

  /** A scrape's series in order, and its samples at the same positions. */
  private record InOrder(List<EncodedSeries> series, List<MetricSample> samples) {}

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
    if (lastInOrder != null && sameInOrder(series, lastInOrder.series())) {
      lastInOrder = new InOrder(series, samples);
      lastSeries = null;
      return 0;
    }
    Map<String, MetricSample> last = lastSeries();
    Map<String, MetricSample> current = new LinkedHashMap<>(series.size() * 4 / 3 + 16);
    for (int i = 0; i < samples.size(); i++) {
      current.put(series.get(i).id(), samples.get(i));
    }
    int added = 0;
    for (String id : current.keySet()) {
      if (!last.containsKey(id)) {
        added++;
      }
    }
    for (Map.Entry<String, MetricSample> e : last.entrySet()) {
      if (!current.containsKey(e.getKey())) {
        batch.add(ScrapeProcessor.stale(e.getValue(), start));
        batchSeries.add(null);
      }
    }
    lastSeries = current;
    lastInOrder = current.size() == series.size() ? new InOrder(series, samples) : null;
    return added;
  }

  /** The last scrape's series by id, made from its lists if they hold them. */
  private Map<String, MetricSample> lastSeries() {
    if (lastSeries == null) {
      lastSeries = bySeries(lastInOrder);
    }
    return lastSeries;
  }

  private static Map<String, MetricSample> bySeries(InOrder inOrder) {
    Map<String, MetricSample> bySeries = new LinkedHashMap<>(inOrder.series().size() * 4 / 3 + 16);
    for (int i = 0; i < inOrder.series().size(); i++) {
      bySeries.put(inOrder.series().get(i).id(), inOrder.samples().get(i));
    }
    return bySeries;
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
    Map<String, MetricSample> last = lastSeries();
    List<MetricSample> markers = new ArrayList<>(last.size() + 8);
    for (MetricSample s : last.values()) {
      markers.add(ScrapeProcessor.stale(s, ts));
    }
    lastSeries = new LinkedHashMap<>();
    lastInOrder = null;
    return markers;
  }

  /** Takes over the series of a previous loop for the same target. */
  void adopt(ScrapeStaleness previous) {
    // A copy: this loop updates its map in place, and the previous loop may still finish a scrape.
    // Each field read once: the previous loop's own may change meanwhile, and are not made here.
    Map<String, MetricSample> bySeries = previous.lastSeries;
    InOrder inOrder = previous.lastInOrder;
    this.lastSeries =
        bySeries != null
            ? new LinkedHashMap<>(bySeries)
            : inOrder != null ? bySeries(inOrder) : new LinkedHashMap<>();
    this.lastInOrder = inOrder;
  }
}
