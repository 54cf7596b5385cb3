package dev.metricspipeline.schemas;

/**
 * The Prometheus staleness marker: a NaN with a specific bit pattern that says "this series ended
 * here" (a target went away, a pushed group was replaced or deleted).
 *
 * <p>Trap: every NaN compares unequal to every value, including itself, and {@link
 * Double#doubleToLongBits(double)} collapses all NaNs to one canonical pattern. Only {@link
 * Double#doubleToRawLongBits(double)} tells a stale marker from an ordinary NaN, which is a real
 * sample value (e.g. a summary quantile with no observations).
 */
public final class StaleMarker {

  /** The bit pattern Prometheus uses for stale markers. */
  public static final long BITS = 0x7ff0000000000002L;

  /** The stale marker as a double. */
  public static final double VALUE = Double.longBitsToDouble(BITS);

  private StaleMarker() {}

  /** True only for the exact stale-marker bit pattern, not for other NaNs. */
  public static boolean isStale(double value) {
    return Double.doubleToRawLongBits(value) == BITS;
  }
}
