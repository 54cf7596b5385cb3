package dev.metricspipeline.formats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Delta temporality turned into cumulative, per stream, in memory: what the OpenTelemetry
 * specification asks of a Prometheus-compatible receiver for delta monotonic sums and delta
 * histograms. One instance is shared by every request of one gateway; it is thread-safe.
 *
 * <p>A stream is the translated series (metric name and every label). Its first delta point starts
 * the cumulative value; each next point is added when its start time is at or after the time of the
 * last point added (a gap is accepted: what was lost in the gap stays lost). A point whose time is
 * not after the last one (a re-sent request) or whose interval overlaps the last one is refused and
 * counted, so a retried request is never added twice. A histogram whose bucket bounds change starts
 * over. Starting over, like a gateway restart or a stream evicted as the least recently used beyond
 * {@code maxStreams}, shows downstream as a counter reset, which the rollups' {@code increase}
 * already handles.
 *
 * <p>The state lives in one gateway: a sender using delta temporality must send every point of a
 * stream to the same gateway instance. Behind a load balancer that spreads requests, use cumulative
 * temporality (the SDKs' default).
 *
 * <p>Updates are applied as a request is converted; {@link Pending#rollback()} undoes them when the
 * request could not be published, so the sender's retry is added once.
 */
public final class OtlpDeltas {

  private final int maxStreams;
  private final LinkedHashMap<String, State> streams;
  private long evicted;

  public OtlpDeltas(int maxStreams) {
    if (maxStreams < 1) {
      throw new IllegalArgumentException("maxStreams must be at least 1, got " + maxStreams);
    }
    this.maxStreams = maxStreams;
    this.streams = new LinkedHashMap<>(1024, 0.75f, true);
  }

  /** The cumulative value of one stream after a point was added. */
  record State(long startNanos, long timeNanos, double value, double[] bounds, long[] counts) {}

  /** Why a delta point was not added; null when it was. */
  record Outcome(State state, String refusal) {}

  /** The updates one request made, to undo them if it is not published. */
  public static final class Pending {
    private final OtlpDeltas owner;
    private final List<Object[]> changes = new ArrayList<>();

    private Pending(OtlpDeltas owner) {
      this.owner = owner;
    }

    /** Undoes this request's updates that no later request has built on. */
    public void rollback() {
      if (owner == null) {
        return;
      }
      synchronized (owner) {
        for (int i = changes.size() - 1; i >= 0; i--) {
          Object[] change = changes.get(i);
          String key = (String) change[0];
          if (owner.streams.get(key) == change[2]) {
            if (change[1] == null) {
              owner.streams.remove(key);
            } else {
              owner.streams.put(key, (State) change[1]);
            }
          }
        }
      }
    }
  }

  /** A request's updates: none, for a parser without delta state. */
  static final Pending NONE = new Pending(null);

  Pending begin() {
    return new Pending(this);
  }

  /** Adds a delta sum point; the outcome's state holds the new cumulative value. */
  synchronized Outcome addSum(Pending pending, String key, long start, long time, double value) {
    State before = streams.get(key);
    String refusal = ordering(before, start, time);
    if (refusal != null) {
      return new Outcome(null, refusal);
    }
    State after =
        before == null
            ? new State(start, time, value, null, null)
            : new State(before.startNanos(), time, before.value() + value, null, null);
    put(pending, key, before, after);
    return new Outcome(after, null);
  }

  /** Adds a delta histogram point; {@code counts} are per bucket, as OTLP sends them. */
  synchronized Outcome addHistogram(
      Pending pending,
      String key,
      long start,
      long time,
      double sum,
      double[] bounds,
      long[] counts) {
    State before = streams.get(key);
    String refusal = ordering(before, start, time);
    if (refusal != null) {
      return new Outcome(null, refusal);
    }
    State after;
    if (before == null
        || before.bounds() == null
        || !Arrays.equals(before.bounds(), bounds)
        || before.counts().length != counts.length) {
      after = new State(start, time, sum, bounds.clone(), counts.clone());
    } else {
      long[] total = before.counts().clone();
      for (int i = 0; i < total.length; i++) {
        total[i] += counts[i];
      }
      after = new State(before.startNanos(), time, before.value() + sum, bounds.clone(), total);
    }
    put(pending, key, before, after);
    return new Outcome(after, null);
  }

  private static String ordering(State before, long start, long time) {
    if (before == null) {
      return null;
    }
    if (time <= before.timeNanos()) {
      return "a delta point not after the last one added to its stream (re-sent or out of order)";
    }
    if (start != 0 && start < before.timeNanos()) {
      return "a delta point whose interval overlaps the last one added to its stream";
    }
    return null;
  }

  private void put(Pending pending, String key, State before, State after) {
    streams.put(key, after);
    pending.changes.add(new Object[] {key, before, after});
    if (streams.size() > maxStreams) {
      Map.Entry<String, State> eldest = streams.entrySet().iterator().next();
      streams.remove(eldest.getKey());
      evicted++;
    }
  }

  /** Streams held now. */
  public synchronized int size() {
    return streams.size();
  }

  /** Streams dropped as least recently used since start. */
  public synchronized long evicted() {
    return evicted;
  }
}
