package dev.metricspipeline.promql;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the {@link Evaluator} reads: stored series and their rollup windows. The sink implements it
 * over its store; tests implement it over a list. Windows are aligned to their resolution (see
 * {@link Windows}).
 */
public interface Storage {

  /** A stored series: an id for {@link #windows} and its labels, the metric name included. */
  record Series(long id, Labels labels) {}

  /** The stored resolutions in ms, finest first. */
  List<Long> resolutions();

  /** The series whose labels match every matcher (an absent label matches as the empty string). */
  List<Series> select(List<Expr.Matcher> matchers);

  /**
   * The windows of some series at one resolution with start in {@code [fromStart, toStart]}, per
   * series id; series without a window there may be left out. Only {@code fields} need be read: the
   * others may be left NaN (0 for counts and resets).
   */
  Map<Long, Windows> windows(
      Collection<Long> seriesIds,
      long resolutionMs,
      long fromStart,
      long toStart,
      Set<Windows.Field> fields);
}
