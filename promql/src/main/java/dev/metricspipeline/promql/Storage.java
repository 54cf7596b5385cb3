package dev.metricspipeline.promql;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What the {@link Evaluator} reads: stored series and their rollup windows. The sink implements it
 * over its store; tests implement it over a list. Windows are aligned to their resolution ({@code
 * start} a multiple of it, {@code end = start + resolution}).
 */
public interface Storage {

  /** A stored series: an id for {@link #windows} and its labels, the metric name included. */
  record Series(long id, Labels labels) {}

  /**
   * One stored window of one series: the fields of a rollup.
   *
   * @param increase the reset-aware increase since the previous window's last sample; null when the
   *     series is not a counter
   * @param resets counter resets in the window; null when not a counter
   */
  record Window(
      long start,
      long end,
      long count,
      double sum,
      double min,
      double max,
      double first,
      double last,
      Double increase,
      Long resets) {}

  /** The stored resolutions in ms, finest first. */
  List<Long> resolutions();

  /** The series whose labels match every matcher (an absent label matches as the empty string). */
  List<Series> select(List<Expr.Matcher> matchers);

  /**
   * The windows of some series at one resolution with start in {@code [fromStart, toStart]}, per
   * series id, each list in start order.
   */
  Map<Long, List<Window>> windows(
      Collection<Long> seriesIds, long resolutionMs, long fromStart, long toStart);
}
