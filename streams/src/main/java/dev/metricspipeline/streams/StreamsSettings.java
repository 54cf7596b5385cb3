package dev.metricspipeline.streams;

import dev.metricspipeline.runtime.Checks;
import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the topology does: which resolutions it rolls up into, how long a window waits before it is
 * emitted (grace) and is then still revised by late samples (allowed lateness), and how duplicates
 * are recognised. {@link #defaults()} holds the defaults.
 *
 * @param resolutions the tumbling windows, e.g. 1m, 5m, 1h; each writes {@code
 *     metrics.rollups.<name>}
 * @param grace how long after its end a window still takes samples
 * @param allowedLateness how long after its end plus grace a window still takes late samples: it
 *     has been emitted, and each change is emitted again as a revision of it; a series' sample
 *     times are remembered as long (so an exact duplicate is dropped before and after its window
 *     closed), and an emitted window is kept as long, then dropped
 * @param dedupInterval the interval within which one sample per series survives from HA replicas,
 *     and within which a retried push is recognised
 * @param replicaLabels labels that tell HA scraper replicas apart (left out of series ids and of
 *     rollup labels)
 * @param closeCheckInterval how often windows are checked for closing (wall-clock punctuation)
 * @param aggregationRules cross-series aggregations into the same rollup topics (none by default)
 * @param aggregationSettle how long a group window waits after its first per-series rollup (and
 *     after its end plus grace) for the rest, since partitions close windows independently
 * @param timestamps sample times taken; a record outside them (before 1970, or further ahead of the
 *     stage's clock than the bound) goes to {@code metrics.rejected} as {@code INVALID_TIMESTAMP}
 *     before it reaches a window, a store or an output
 * @param hotEntries the most series state entries each task keeps decoded on the heap, as last
 *     written to its store, so a series' next sample skips decoding it (0: decode every time); a
 *     series is kept from its second sighting among the last {@code 2 × hotEntries} not kept; a
 *     tuning knob with no effect on what is emitted
 */
public record StreamsSettings(
    String samplesTopic,
    String rejectedTopic,
    List<Resolution> resolutions,
    Duration grace,
    Duration allowedLateness,
    Duration dedupInterval,
    Set<String> replicaLabels,
    Duration closeCheckInterval,
    List<AggregationRule> aggregationRules,
    Duration aggregationSettle,
    SampleTimestamps timestamps,
    int hotEntries) {

  /**
   * The default of {@link #hotEntries()}: about 6 MB of heap per task when full (measured 1.5 kB
   * per decoded entry, three resolutions and 25 samples in the finest window, 2026-12-02).
   */
  public static final int DEFAULT_HOT_ENTRIES = 4_096;

  /** One rollup resolution: its name in the topic and its window size. */
  public record Resolution(String name, Duration size) {
    public Resolution {
      Objects.requireNonNull(name, "name");
      if (size.toMillis() < 1000) {
        throw new IllegalArgumentException("resolution " + name + " must be at least 1 s");
      }
    }

    public String topic() {
      return Topics.rollups(name);
    }
  }

  public StreamsSettings {
    Objects.requireNonNull(samplesTopic, "samplesTopic");
    Objects.requireNonNull(rejectedTopic, "rejectedTopic");
    resolutions = List.copyOf(resolutions);
    replicaLabels = Set.copyOf(replicaLabels);
    aggregationRules = List.copyOf(aggregationRules);
    Objects.requireNonNull(timestamps, "timestamps");
    Checks.notNegative("aggregationSettle", aggregationSettle);
    Checks.notEmpty("resolutions", resolutions);
    Checks.notNegative("grace", grace);
    Checks.notNegative("allowedLateness", allowedLateness);
    Checks.atLeast("dedupInterval", dedupInterval, Duration.ofMillis(1));
    Checks.atLeast("closeCheckInterval", closeCheckInterval, Duration.ofMillis(10));
    Checks.atLeast("hotEntries", hotEntries, 0);
  }

  /**
   * 1m, 5m and 1h windows, 30 s grace, 2 h allowed lateness (a Prometheus write-ahead log replay
   * after an outage of ours fits in it), a 15 s dedup interval for replicas and retried pushes,
   * replica label {@code __replica__}, windows checked every second, no aggregation rules (a group
   * window settles 5 s when there are), {@value #DEFAULT_HOT_ENTRIES} hot entries kept decoded per
   * task.
   */
  public static StreamsSettings defaults() {
    return new StreamsSettings(
        Topics.SAMPLES,
        Topics.REJECTED,
        List.of(
            new Resolution("1m", Duration.ofMinutes(1)),
            new Resolution("5m", Duration.ofMinutes(5)),
            new Resolution("1h", Duration.ofHours(1))),
        Duration.ofSeconds(30),
        Duration.ofHours(2),
        Duration.ofSeconds(15),
        Set.of(SeriesKey.DEFAULT_REPLICA_LABEL),
        Duration.ofSeconds(1),
        List.of(),
        Duration.ofSeconds(5),
        SampleTimestamps.defaults(),
        DEFAULT_HOT_ENTRIES);
  }

  public StreamsSettings withTopics(String samplesTopic, String rejectedTopic) {
    return toBuilder().samplesTopic(samplesTopic).rejectedTopic(rejectedTopic).build();
  }

  public StreamsSettings withResolutions(List<Resolution> resolutions) {
    return toBuilder().resolutions(resolutions).build();
  }

  public StreamsSettings withGrace(Duration grace) {
    return toBuilder().grace(grace).build();
  }

  public StreamsSettings withAllowedLateness(Duration allowedLateness) {
    return toBuilder().allowedLateness(allowedLateness).build();
  }

  public StreamsSettings withAggregationRules(List<AggregationRule> aggregationRules) {
    return toBuilder().aggregationRules(aggregationRules).build();
  }

  public StreamsSettings withTimestamps(SampleTimestamps timestamps) {
    return toBuilder().timestamps(timestamps).build();
  }

  public StreamsSettings withHotEntries(int hotEntries) {
    return toBuilder().hotEntries(hotEntries).build();
  }

  /**
   * The topic that carries per-series rollups to their aggregation group ({@code
   * metrics.aggregation.<resolution>}), created by {@link StreamsApp} when there are rules.
   */
  public String aggregationTopic(Resolution resolution) {
    return "metrics.aggregation." + resolution.name();
  }

  /** A builder holding this config's values; {@link Builder#build()} validates. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a {@link StreamsSettings}, starting from an existing one. */
  public static final class Builder {
    private String samplesTopic;
    private String rejectedTopic;
    private List<Resolution> resolutions;
    private Duration grace;
    private Duration allowedLateness;
    private Duration dedupInterval;
    private Set<String> replicaLabels;
    private Duration closeCheckInterval;
    private List<AggregationRule> aggregationRules;
    private Duration aggregationSettle;
    private SampleTimestamps timestamps;
    private int hotEntries;

    private Builder(StreamsSettings c) {
      samplesTopic = c.samplesTopic;
      rejectedTopic = c.rejectedTopic;
      resolutions = c.resolutions;
      grace = c.grace;
      allowedLateness = c.allowedLateness;
      dedupInterval = c.dedupInterval;
      replicaLabels = c.replicaLabels;
      closeCheckInterval = c.closeCheckInterval;
      aggregationRules = c.aggregationRules;
      aggregationSettle = c.aggregationSettle;
      timestamps = c.timestamps;
      hotEntries = c.hotEntries;
    }

    public Builder samplesTopic(String samplesTopic) {
      this.samplesTopic = samplesTopic;
      return this;
    }

    public Builder rejectedTopic(String rejectedTopic) {
      this.rejectedTopic = rejectedTopic;
      return this;
    }

    public Builder resolutions(List<Resolution> resolutions) {
      this.resolutions = resolutions;
      return this;
    }

    public Builder grace(Duration grace) {
      this.grace = grace;
      return this;
    }

    public Builder allowedLateness(Duration allowedLateness) {
      this.allowedLateness = allowedLateness;
      return this;
    }

    public Builder dedupInterval(Duration dedupInterval) {
      this.dedupInterval = dedupInterval;
      return this;
    }

    public Builder replicaLabels(Set<String> replicaLabels) {
      this.replicaLabels = replicaLabels;
      return this;
    }

    public Builder closeCheckInterval(Duration closeCheckInterval) {
      this.closeCheckInterval = closeCheckInterval;
      return this;
    }

    public Builder aggregationRules(List<AggregationRule> aggregationRules) {
      this.aggregationRules = aggregationRules;
      return this;
    }

    public Builder aggregationSettle(Duration aggregationSettle) {
      this.aggregationSettle = aggregationSettle;
      return this;
    }

    public Builder timestamps(SampleTimestamps timestamps) {
      this.timestamps = timestamps;
      return this;
    }

    public Builder hotEntries(int hotEntries) {
      this.hotEntries = hotEntries;
      return this;
    }

    public StreamsSettings build() {
      return new StreamsSettings(
          samplesTopic,
          rejectedTopic,
          resolutions,
          grace,
          allowedLateness,
          dedupInterval,
          replicaLabels,
          closeCheckInterval,
          aggregationRules,
          aggregationSettle,
          timestamps,
          hotEntries);
    }
  }
}
