package dev.metricspipeline.streams;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Samples the topology did not roll up, by reason ({@code duplicate}, {@code late}, {@code
 * undecodable}, {@code nan}), and rollups emitted ({@code rollups_<resolution>}). Each drop is also
 * logged with its topic/partition/offset. Thread-safe; one instance per application.
 */
public final class DropCounters {

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  public void increment(String reason) {
    add(reason, 1);
  }

  public void add(String reason, long n) {
    counts.computeIfAbsent(reason, r -> new LongAdder()).add(n);
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
}
