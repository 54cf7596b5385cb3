package dev.metricspipeline.promql;

import dev.metricspipeline.promql.Storage.Window;

/**
 * The range functions over whole rollup windows: each is read off the windows' fields (see {@code
 * docs/ARCHITECTURE.md}, "Query").
 */
final class RangeFunctions {
  private RangeFunctions() {}

  /** The range functions, resolved from their name once per call site rather than per series. */
  enum Fn {
    COUNT_OVER_TIME,
    SUM_OVER_TIME,
    AVG_OVER_TIME,
    MIN_OVER_TIME,
    MAX_OVER_TIME,
    LAST_OVER_TIME,
    DELTA,
    INCREASE,
    RATE,
    IRATE,
    RESETS;

    static Fn of(String name) {
      try {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new PromQLException(-1, "function " + name + " is not supported");
      }
    }
  }

  /**
   * The function over {@code windows[a..b]} (inclusive, {@code a <= b}), or null where the series
   * has no value for it.
   *
   * @param rangeMs the selector's range
   * @param resolutionMs the windows' size
   */
  static Double apply(Fn fn, Window[] windows, int a, int b, long rangeMs, long resolutionMs) {
    return switch (fn) {
      case COUNT_OVER_TIME -> (double) count(windows, a, b);
      case SUM_OVER_TIME -> sum(windows, a, b);
      case AVG_OVER_TIME -> sum(windows, a, b) / count(windows, a, b);
      case MIN_OVER_TIME -> {
        double min = windows[a].min();
        for (int i = a + 1; i <= b; i++) {
          if (windows[i].min() < min || Double.isNaN(min)) {
            min = windows[i].min();
          }
        }
        yield min;
      }
      case MAX_OVER_TIME -> {
        double max = windows[a].max();
        for (int i = a + 1; i <= b; i++) {
          if (windows[i].max() > max || Double.isNaN(max)) {
            max = windows[i].max();
          }
        }
        yield max;
      }
      case LAST_OVER_TIME -> windows[b].last();
      case DELTA -> count(windows, a, b) < 2 ? null : windows[b].last() - windows[a].first();
      case INCREASE -> increase(windows, a, b);
      case RATE -> {
        Double inc = increase(windows, a, b);
        yield inc == null ? null : inc / (rangeMs / 1000.0);
      }
      case IRATE -> {
        Double inc = windows[b].increase();
        yield inc == null ? null : inc / (resolutionMs / 1000.0);
      }
      case RESETS -> {
        long total = 0;
        boolean any = false;
        for (int i = a; i <= b; i++) {
          Long r = windows[i].resets();
          if (r != null) {
            total += r;
            any = true;
          }
        }
        yield any ? (double) total : null;
      }
    };
  }

  private static long count(Window[] windows, int a, int b) {
    long n = 0;
    for (int i = a; i <= b; i++) {
      n += windows[i].count();
    }
    return n;
  }

  private static double sum(Window[] windows, int a, int b) {
    double s = 0;
    for (int i = a; i <= b; i++) {
      s += windows[i].sum();
    }
    return s;
  }

  /**
   * The sum of the windows' increases; null when none is a counter window. Summed unboxed: this
   * runs for every series at every step.
   */
  private static Double increase(Window[] windows, int a, int b) {
    double total = 0;
    boolean any = false;
    for (int i = a; i <= b; i++) {
      Double inc = windows[i].increase();
      if (inc != null) {
        total += inc;
        any = true;
      }
    }
    return any ? total : null;
  }
}
