package dev.metricspipeline.streams;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the topology counts: samples in ({@code samples_in}), samples not rolled up by reason
 * ({@code duplicate}, {@code retried_push}, {@code replica}, {@code late}, {@code undecodable},
 * {@code nan}, {@code invalid_timestamp}, {@code processing_error} and {@code production_error} for
 * records rejected by the fault handlers, {@code unwritable_reject} for rejects that could not be
 * written, and {@code late_aggregate} for per-series rollups that missed their group window),
 * rollups emitted ({@code rollups_<resolution>}), rollups emitted again as revisions ({@code
 * revisions_<resolution>}) and aggregation outputs ({@code aggregates_<resolution>}). Each drop is
 * also logged with its topic/partition/offset. Thread-safe; one instance per application.
 *
 * <p>{@link #bindTo} publishes them as {@code streams_samples_in_total}, {@code
 * streams_samples_dropped_total{reason}}, {@code streams_rollups_out_total{resolution}}, {@code
 * streams_rollups_revised_total{resolution}} and {@code streams_aggregates_out_total{resolution}}.
 */
public final class DropCounters {

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  private volatile MeterRegistry registry;

  public void increment(String reason) {
    add(reason, 1);
  }

  public void add(String reason, long n) {
    LongAdder adder = counts.get(reason);
    if (adder == null) {
      adder = counts.computeIfAbsent(reason, r -> new LongAdder());
      MeterRegistry bound = registry;
      if (bound != null) {
        register(bound, reason, adder);
      }
    }
    adder.add(n);
  }

  public long get(String reason) {
    LongAdder adder = counts.get(reason);
    return adder == null ? 0 : adder.sum();
  }

  /** A snapshot, sorted by reason. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Publishes every count, present and future, as a Micrometer counter. */
  public synchronized void bindTo(MeterRegistry meters) {
    counts.computeIfAbsent("samples_in", r -> new LongAdder());
    this.registry = meters;
    counts.forEach((reason, adder) -> register(meters, reason, adder));
  }

  private static void register(MeterRegistry meters, String reason, LongAdder adder) {
    FunctionCounter.Builder<LongAdder> counter;
    if (reason.equals("samples_in")) {
      counter =
          FunctionCounter.builder("streams.samples.in", adder, LongAdder::sum)
              .description("Samples read from metrics.samples (each sample of a batch record)");
    } else if (reason.startsWith("rollups_")) {
      counter =
          FunctionCounter.builder("streams.rollups.out", adder, LongAdder::sum)
              .tag("resolution", reason.substring("rollups_".length()))
              .description("Per-series rollups emitted");
    } else if (reason.startsWith("revisions_")) {
      counter =
          FunctionCounter.builder("streams.rollups.revised", adder, LongAdder::sum)
              .tag("resolution", reason.substring("revisions_".length()))
              .description("Per-series rollups emitted again after late samples changed them");
    } else if (reason.startsWith("aggregates_")) {
      counter =
          FunctionCounter.builder("streams.aggregates.out", adder, LongAdder::sum)
              .tag("resolution", reason.substring("aggregates_".length()))
              .description("Aggregation rule outputs emitted");
    } else {
      counter =
          FunctionCounter.builder("streams.samples.dropped", adder, LongAdder::sum)
              .tag("reason", reason)
              .description("Samples (or per-series rollups) not rolled up, by reason");
    }
    counter.register(meters);
  }
}
