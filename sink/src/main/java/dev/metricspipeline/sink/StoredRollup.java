package dev.metricspipeline.sink;

/**
 * One stored window of one series: the fields of the Avro {@code Rollup}; {@code increase} and
 * {@code resets} are null for non-counters.
 */
public record StoredRollup(
    long seriesId,
    String resolution,
    long windowStart,
    long windowEnd,
    long count,
    double sum,
    double min,
    double max,
    double first,
    double last,
    Double increase,
    Long resets) {}
