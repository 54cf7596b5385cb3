package dev.metricspipeline.promql;

import java.util.EnumSet;
import java.util.Set;

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

    /** The window fields the function reads. */
    Set<Windows.Field> fields() {
      return switch (this) {
        case COUNT_OVER_TIME -> EnumSet.of(Windows.Field.COUNT);
        case SUM_OVER_TIME -> EnumSet.of(Windows.Field.SUM);
        case AVG_OVER_TIME -> EnumSet.of(Windows.Field.SUM, Windows.Field.COUNT);
        case MIN_OVER_TIME -> EnumSet.of(Windows.Field.MIN);
        case MAX_OVER_TIME -> EnumSet.of(Windows.Field.MAX);
        case LAST_OVER_TIME -> EnumSet.of(Windows.Field.LAST);
        case DELTA -> EnumSet.of(Windows.Field.COUNT, Windows.Field.FIRST, Windows.Field.LAST);
        case INCREASE, RATE, IRATE -> EnumSet.of(Windows.Field.INCREASE);
        case RESETS -> EnumSet.of(Windows.Field.RESETS);
      };
    }

    static Fn of(String name) {
      try {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new PromQLException(-1, "function " + name + " is not supported");
      }
    }
  }

  /**
   * The function over windows {@code a..b} (inclusive, {@code a <= b}), or {@link #ABSENT} where
   * the series has no value for it (a function of counter windows over a series that was not a
   * counter in any of them). Unboxed: this runs for every series at every step.
   *
   * @param rangeMs the selector's range
   * @param resolutionMs the windows' size
   */
  static double apply(Fn fn, Windows w, int a, int b, long rangeMs, long resolutionMs) {
    return switch (fn) {
      case COUNT_OVER_TIME -> (double) count(w, a, b);
      case SUM_OVER_TIME -> sum(w, a, b);
      case AVG_OVER_TIME -> sum(w, a, b) / count(w, a, b);
      case MIN_OVER_TIME -> {
        double min = w.min(a);
        for (int i = a + 1; i <= b; i++) {
          if (w.min(i) < min || Double.isNaN(min)) {
            min = w.min(i);
          }
        }
        yield min;
      }
      case MAX_OVER_TIME -> {
        double max = w.max(a);
        for (int i = a + 1; i <= b; i++) {
          if (w.max(i) > max || Double.isNaN(max)) {
            max = w.max(i);
          }
        }
        yield max;
      }
      case LAST_OVER_TIME -> w.last(b);
      case DELTA -> count(w, a, b) < 2 ? ABSENT : w.last(b) - w.first(a);
      case INCREASE -> increase(w, a, b);
      case RATE -> {
        double inc = increase(w, a, b);
        yield isAbsent(inc) ? ABSENT : inc / (rangeMs / 1000.0);
      }
      case IRATE -> w.counter(b) ? w.increase(b) / (resolutionMs / 1000.0) : ABSENT;
      case RESETS -> {
        long total = 0;
        boolean any = false;
        for (int i = a; i <= b; i++) {
          if (w.counter(i)) {
            total += w.resets(i);
            any = true;
          }
        }
        yield any ? (double) total : ABSENT;
      }
    };
  }

  /**
   * "No value": a NaN with a payload no arithmetic produces, so that a real NaN result (a NaN
   * sample) stays a value. Tested with {@link #isAbsent}, never with {@code ==}.
   */
  static final double ABSENT = Double.longBitsToDouble(0x7ff8_dead_0000_0001L);

  static boolean isAbsent(double v) {
    return Double.doubleToRawLongBits(v) == Double.doubleToRawLongBits(ABSENT);
  }

  private static long count(Windows w, int a, int b) {
    long n = 0;
    for (int i = a; i <= b; i++) {
      n += w.count(i);
    }
    return n;
  }

  private static double sum(Windows w, int a, int b) {
    double s = 0;
    for (int i = a; i <= b; i++) {
      s += w.sum(i);
    }
    return s;
  }

  /** The sum of the counter windows' increases; {@link #ABSENT} when none is a counter window. */
  private static double increase(Windows w, int a, int b) {
    double total = 0;
    boolean any = false;
    for (int i = a; i <= b; i++) {
      if (w.counter(i)) {
        total += w.increase(i);
        any = true;
      }
    }
    return any ? total : ABSENT;
  }
}
