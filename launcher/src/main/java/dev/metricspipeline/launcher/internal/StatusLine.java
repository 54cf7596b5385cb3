package dev.metricspipeline.launcher.internal;

import dev.metricspipeline.runtime.StageHealth;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The live line {@code run} prints every few seconds: samples in per second (what the streams stage
 * read), duplicates dropped, rollups written to the store, and the consumer lag (records waiting)
 * of the streams stage or the sink, whichever is further behind, and, when a stage has failed more
 * often in a row than its bound ({@code stage_up} 0), {@code NOT READY:} and the stage's name. Read
 * from the process's meter registry.
 */
public final class StatusLine implements AutoCloseable {

  private final MeterRegistry meters;
  private final PrintWriter out;
  private final ScheduledExecutorService timer;
  private double lastSamples;
  private long lastNanos = System.nanoTime();

  private StatusLine(MeterRegistry meters, PrintWriter out) {
    this.meters = meters;
    this.out = out;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "status-line");
              t.setDaemon(true);
              return t;
            });
  }

  /** Prints a line every {@code every}; nothing if it is zero. */
  public static StatusLine start(MeterRegistry meters, PrintWriter out, Duration every) {
    StatusLine line = new StatusLine(meters, out);
    if (!every.isZero()) {
      line.timer.scheduleAtFixedRate(
          line::print, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }
    return line;
  }

  /** The line as it would be printed now. */
  public String line() {
    double samples = sum("streams.samples.in", null, null);
    long now = System.nanoTime();
    double seconds = Math.max(1e-3, (now - lastNanos) / 1e9);
    double rate = (samples - lastSamples) / seconds;
    lastSamples = samples;
    lastNanos = now;
    double duplicates =
        sum("streams.samples.dropped", "reason", "duplicate")
            + sum("streams.samples.dropped", "reason", "retried_push")
            + sum("streams.samples.dropped", "reason", "replica");
    double late = sum("streams.samples.dropped", "reason", "late");
    double rollups = sum("sink.rows.written", null, null);
    double lag = lag();
    List<String> failed = StageHealth.failedStages(meters);
    return String.format(
            "status: samples in %.1f/s, duplicates dropped %.0f, late %.0f, rollups written %.0f,"
                + " consumer lag %.0f",
            rate, duplicates, late, rollups, lag)
        + (failed.isEmpty() ? "" : "; NOT READY: " + String.join(", ", failed));
  }

  /**
   * The consumer that is furthest behind: per consumer (client id), the sum of its partitions'
   * current lag ({@code records-lag}, as of each partition's last fetch). Kafka's {@code
   * records-lag-max} is a maximum over its metrics window (two 30 s samples), so it showed a lag
   * for up to a minute after it was gone; it is read only when no per-partition lag is registered.
   */
  private double lag() {
    Map<String, Double> byConsumer = new HashMap<>();
    for (Meter m : meters.find("kafka.consumer.fetch.manager.records.lag").meters()) {
      String partition = m.getId().getTag("partition");
      if (m instanceof Gauge g && partition != null && !Double.isNaN(g.value())) {
        String client = m.getId().getTag("client.id");
        if (client == null) {
          client = String.valueOf(m.getId().getTag("client-id"));
        }
        byConsumer.merge(client, g.value(), Double::sum);
      }
    }
    double lag = 0;
    if (!byConsumer.isEmpty()) {
      for (double v : byConsumer.values()) {
        lag = Math.max(lag, v);
      }
      return lag;
    }
    for (Meter m : meters.find("kafka.consumer.fetch.manager.records.lag.max").meters()) {
      if (m instanceof Gauge g && !Double.isNaN(g.value())) {
        lag = Math.max(lag, g.value());
      }
    }
    return lag;
  }

  private double sum(String name, String tag, String value) {
    double total = 0;
    var search = meters.find(name);
    if (tag != null) {
      search = search.tag(tag, value);
    }
    for (Meter m : search.meters()) {
      if (m instanceof FunctionCounter c) {
        total += c.count();
      } else if (m instanceof Counter c) {
        total += c.count();
      }
    }
    return total;
  }

  private void print() {
    out.println(line());
    out.flush();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
