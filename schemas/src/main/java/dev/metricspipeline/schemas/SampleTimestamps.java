package dev.metricspipeline.schemas;

import dev.metricspipeline.schemas.avro.MetricSample;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The range of sample timestamps the pipeline takes: not before the epoch, and at most {@link
 * #maxAhead()} ahead of the receiving clock. Every entry point checks it (the push endpoints, the
 * scraper's honoured timestamps, the normalizer, {@link MetricsPublisher}, and the streams stage
 * again for records written by anyone else), so no sample outside it reaches a Kafka Streams task.
 *
 * <p>Why both ends matter: Kafka Streams stamps its changelog and output records with the sample
 * time, {@code Record.withTimestamp} throws on a negative one, and a broker refuses a record more
 * than {@code message.timestamp.after.max.ms} (one hour by default) ahead of its clock. Either
 * would fail the task on every replay of the same offset. The bound is therefore capped at {@link
 * #MAX_AHEAD_LIMIT}, which leaves room for clock skew between the receiver and the brokers.
 *
 * <p>There is no lower bound other than the epoch here: how old a sample may be is the streams
 * stage's grace (a window already closed rejects it as {@code LATE}).
 */
public record SampleTimestamps(Duration maxAhead) {

  /** The default: ten minutes, as Prometheus' TSDB allows ahead of its head block. */
  public static final Duration DEFAULT_MAX_AHEAD = Duration.ofMinutes(10);

  /** The largest bound accepted: below Kafka's default one-hour limit, with room for skew. */
  public static final Duration MAX_AHEAD_LIMIT = Duration.ofMinutes(50);

  public SampleTimestamps {
    Objects.requireNonNull(maxAhead, "maxAhead");
    if (maxAhead.isNegative() || maxAhead.compareTo(MAX_AHEAD_LIMIT) > 0) {
      throw new IllegalArgumentException(
          "max sample ahead must be between PT0S and "
              + MAX_AHEAD_LIMIT
              + " (Kafka brokers refuse records more than message.timestamp.after.max.ms, 1 h by"
              + " default, ahead of their clock); got "
              + maxAhead);
    }
  }

  /** The default bound. */
  public static SampleTimestamps defaults() {
    return new SampleTimestamps(DEFAULT_MAX_AHEAD);
  }

  /**
   * Why a timestamp is refused, or empty if it is taken.
   *
   * @param series the series id, for the message
   * @param timestamp the sample time, ms since the epoch
   * @param now the receiving clock, ms since the epoch
   */
  public Optional<String> violation(String series, long timestamp, long now) {
    if (timestamp < 0) {
      return Optional.of(
          "sample "
              + series
              + " has timestamp "
              + timestamp
              + " ms, before 1970-01-01T00:00:00Z; negative timestamps are refused");
    }
    long limit = saturatedAdd(now, maxAhead.toMillis());
    if (timestamp > limit) {
      return Optional.of(
          "sample "
              + series
              + " has timestamp "
              + timestamp
              + " ms ("
              + Instant.ofEpochMilli(timestamp)
              + "), "
              + Duration.ofMillis(timestamp - now)
              + " ahead of the receiving clock ("
              + Instant.ofEpochMilli(now)
              + "); at most "
              + maxAhead
              + " ahead is taken (--max-sample-ahead)");
    }
    return Optional.empty();
  }

  /** {@link #violation(String, long, long)} for a sample, named by its series id. */
  public Optional<String> violation(SeriesKey key, MetricSample sample, long now) {
    return violation(key, sample.getName(), sample.getLabels(), sample.getTimestamp(), now);
  }

  /**
   * {@link #violation(String, long, long)} for the sample of series {@code name}{@code labels},
   * named by its series id (built only when the time is refused).
   */
  public Optional<String> violation(
      SeriesKey key, String name, Map<String, String> labels, long timestamp, long now) {
    if (timestamp >= 0 && timestamp <= saturatedAdd(now, maxAhead.toMillis())) {
      return Optional.empty(); // the common case builds no series id
    }
    return violation(key.idOf(name, labels), timestamp, now);
  }

  /**
   * Checks every sample.
   *
   * @throws IllegalArgumentException naming the first sample out of range
   */
  public void requireAll(SeriesKey key, List<MetricSample> samples, long now) {
    for (MetricSample sample : samples) {
      Optional<String> why = violation(key, sample, now);
      if (why.isPresent()) {
        throw new IllegalArgumentException(why.get());
      }
    }
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }
}
