package dev.metricspipeline.sink.internal;

import dev.metricspipeline.promql.Expr;
import dev.metricspipeline.promql.Labels;
import dev.metricspipeline.promql.Storage;
import dev.metricspipeline.sink.RollupStore;
import dev.metricspipeline.sink.StoreException;
import dev.metricspipeline.sink.StoredRollup;
import dev.metricspipeline.sink.StoredSeries;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
  public Map<Long, List<Window>> windows(
      Collection<Long> seriesIds, long resolutionMs, long fromStart, long toStart) {
    String resolution = names.get(resolutionMs);
    if (resolution == null) {
      throw new IllegalArgumentException("no resolution of " + resolutionMs + " ms");
    }
    List<StoredRollup> rollups;
    try {
      rollups = store.rollups(seriesIds, resolution, fromStart, toStart);
    } catch (StoreException e) {
      throw new StoreUnavailable(e);
    }
    Map<Long, List<Window>> out = new HashMap<>();
    for (StoredRollup r : rollups) {
      out.computeIfAbsent(r.seriesId(), k -> new ArrayList<>())
          .add(
              new Window(
                  r.windowStart(),
                  r.windowEnd(),
                  r.count(),
                  r.sum(),
                  r.min(),
                  r.max(),
                  r.first(),
                  r.last(),
                  r.increase(),
                  r.resets()));
    }
    out.values().forEach(l -> l.sort(Comparator.comparingLong(Window::start)));
    return out;
  }
}
