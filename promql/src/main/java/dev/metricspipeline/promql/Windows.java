package dev.metricspipeline.promql;

import java.util.Arrays;

/**
 * The rollup windows of one series at one resolution, in start order, kept in columns of
 * primitives: a dashboard query over 100,000 series reads millions of windows, and the range
 * functions read one or two fields of each. Windows are aligned to their resolution ({@code start}
 * a multiple of it, ending at {@code start + resolution}).
 *
 * <p>A window is a <em>counter window</em> when its series was a counter: only those have an {@link
 * #increase} (reset-aware, including the step from the previous window's last sample) and {@link
 * #resets}.
 */
public final class Windows {

  /**
   * The fields of a window beside its start. A query reads only those its functions use (an instant
   * selector only {@code last}, {@code rate} only {@code increase}); the others are left NaN, or 0
   * for counts. Reading {@code INCREASE} or {@code RESETS} tells counter windows apart.
   */
  public enum Field {
    COUNT,
    SUM,
    MIN,
    MAX,
    FIRST,
    LAST,
    INCREASE,
    RESETS;

    /** Every field. */
    public static final java.util.Set<Field> ALL =
        java.util.Collections.unmodifiableSet(java.util.EnumSet.allOf(Field.class));
  }

  private final int size;
  private final long[] start;
  private final long[] count;
  private final double[] sum;
  private final double[] min;
  private final double[] max;
  private final double[] first;
  private final double[] last;
  private final double[] increase;
  private final long[] resets;
  private final boolean[] counter;

  private Windows(Builder b) {
    size = b.size;
    start = Arrays.copyOf(b.start, size);
    count = Arrays.copyOf(b.count, size);
    sum = Arrays.copyOf(b.sum, size);
    min = Arrays.copyOf(b.min, size);
    max = Arrays.copyOf(b.max, size);
    first = Arrays.copyOf(b.first, size);
    last = Arrays.copyOf(b.last, size);
    increase = Arrays.copyOf(b.increase, size);
    resets = Arrays.copyOf(b.resets, size);
    counter = Arrays.copyOf(b.counter, size);
  }

  public static Builder builder() {
    return new Builder();
  }

  public int size() {
    return size;
  }

  public long start(int i) {
    return start[i];
  }

  public long count(int i) {
    return count[i];
  }

  public double sum(int i) {
    return sum[i];
  }

  public double min(int i) {
    return min[i];
  }

  public double max(int i) {
    return max[i];
  }

  public double first(int i) {
    return first[i];
  }

  public double last(int i) {
    return last[i];
  }

  /** Whether window {@code i} is a counter window, with an increase and resets. */
  public boolean counter(int i) {
    return counter[i];
  }

  /** The increase of a counter window; 0 for others. */
  public double increase(int i) {
    return increase[i];
  }

  /** The resets of a counter window; 0 for others. */
  public long resets(int i) {
    return resets[i];
  }

  /** The index of the last window starting at or before {@code t}, or -1. */
  int floor(long t) {
    int i = Arrays.binarySearch(start, 0, size, t);
    return i >= 0 ? i : -i - 2;
  }

  /** The index of the first window starting at or after {@code t} (may be {@link #size}). */
  int ceiling(long t) {
    int i = Arrays.binarySearch(start, 0, size, t);
    return i >= 0 ? i : -i - 1;
  }

  /** Collects windows in start order. */
  public static final class Builder {
    private int size;
    private long[] start = new long[16];
    private long[] count = new long[16];
    private double[] sum = new double[16];
    private double[] min = new double[16];
    private double[] max = new double[16];
    private double[] first = new double[16];
    private double[] last = new double[16];
    private double[] increase = new double[16];
    private long[] resets = new long[16];
    private boolean[] counter = new boolean[16];

    private Builder() {}

    /**
     * Adds the next window.
     *
     * @param isCounter whether the series was a counter in it; {@code increase} and {@code resets}
     *     are read only then
     * @throws IllegalArgumentException when {@code start} is not after the previous window's
     */
    public Builder add(
        long windowStart,
        long windowCount,
        double windowSum,
        double windowMin,
        double windowMax,
        double windowFirst,
        double windowLast,
        boolean isCounter,
        double windowIncrease,
        long windowResets) {
      if (size > 0 && windowStart <= start[size - 1]) {
        throw new IllegalArgumentException(
            "windows out of order: " + windowStart + " after " + start[size - 1]);
      }
      if (size == start.length) {
        grow();
      }
      start[size] = windowStart;
      count[size] = windowCount;
      sum[size] = windowSum;
      min[size] = windowMin;
      max[size] = windowMax;
      first[size] = windowFirst;
      last[size] = windowLast;
      counter[size] = isCounter;
      increase[size] = isCounter ? windowIncrease : 0;
      resets[size] = isCounter ? windowResets : 0;
      size++;
      return this;
    }

    private void grow() {
      int n = start.length * 2;
      start = Arrays.copyOf(start, n);
      count = Arrays.copyOf(count, n);
      sum = Arrays.copyOf(sum, n);
      min = Arrays.copyOf(min, n);
      max = Arrays.copyOf(max, n);
      first = Arrays.copyOf(first, n);
      last = Arrays.copyOf(last, n);
      increase = Arrays.copyOf(increase, n);
      resets = Arrays.copyOf(resets, n);
      counter = Arrays.copyOf(counter, n);
    }

    public int size() {
      return size;
    }

    public Windows build() {
      return new Windows(this);
    }
  }
}
