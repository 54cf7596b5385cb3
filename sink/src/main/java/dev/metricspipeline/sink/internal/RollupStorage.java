package dev.metricspipeline.sink.internal;

import dev.metricspipeline.promql.Expr;
import dev.metricspipeline.promql.Labels;
import dev.metricspipeline.promql.Storage;
import dev.metricspipeline.promql.Windows;
import dev.metricspipeline.sink.RollupStore;
import dev.metricspipeline.sink.StoreException;
import dev.metricspipeline.sink.StoredSeries;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The sink's store as the PromQL evaluator's {@link Storage}. Store failures surface as {@link
 * StoreUnavailable} so the query API can answer 503.
 */
final class RollupStorage implements Storage {

  /** The store failed while a query read it. */
  static final class StoreUnavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreUnavailable(StoreException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private final RollupStore store;
  private final Map<Long, String> names;
  private final List<Long> resolutions;

  /**
   * @param resolutions window size in ms to the resolution's name ({@code 60000 → 1m})
   */
  RollupStorage(RollupStore store, Map<Long, String> resolutions) {
    this.store = store;
    this.names = new TreeMap<>(resolutions);
    this.resolutions = List.copyOf(this.names.keySet());
  }

  @Override
  public List<Long> resolutions() {
    return resolutions;
  }

  @Override
  public List<Series> select(List<Expr.Matcher> matchers) {
    String name = null;
    for (Expr.Matcher m : matchers) {
      if (m.name().equals(Labels.NAME) && m.op() == Expr.MatchOp.EQ) {
        name = m.value();
      }
    }
    List<StoredSeries> stored;
    try {
      stored = store.series(name);
    } catch (StoreException e) {
      throw new StoreUnavailable(e);
    }
    List<Series> out = new ArrayList<>();
    for (StoredSeries s : stored) {
      Map<String, String> labels = new HashMap<>(s.labels());
      labels.put(Labels.NAME, s.metric());
      Labels l = Labels.of(labels);
      if (matchers.stream().allMatch(m -> m.matches(l.get(m.name())))) {
        out.add(new Series(s.id(), l));
      }
    }
    return out;
  }

  @Override
  public Map<Long, Windows> windows(
      Collection<Long> seriesIds,
      long resolutionMs,
      long fromStart,
      long toStart,
      Set<Windows.Field> fields) {
    String resolution = names.get(resolutionMs);
    if (resolution == null) {
      throw new IllegalArgumentException("no resolution of " + resolutionMs + " ms");
    }
    Map<Long, Windows.Builder> builders = new HashMap<>();
    // Rows come grouped by series: the last builder saves a map lookup per row.
    long[] lastId = {Long.MIN_VALUE};
    Windows.Builder[] last = {null};
    try {
      store.scanRollups(
          seriesIds,
          resolution,
          fromStart,
          toStart,
          fields,
          (id, start, count, sum, min, max, first, lastValue, counter, increase, resets) -> {
            if (id != lastId[0] || last[0] == null) {
              last[0] = builders.computeIfAbsent(id, k -> Windows.builder());
              lastId[0] = id;
            }
            last[0].add(start, count, sum, min, max, first, lastValue, counter, increase, resets);
          });
    } catch (StoreException e) {
      throw new StoreUnavailable(e);
    }
    Map<Long, Windows> out = new HashMap<>(builders.size() * 2);
    builders.forEach((id, b) -> out.put(id, b.build()));
    return out;
  }
}
