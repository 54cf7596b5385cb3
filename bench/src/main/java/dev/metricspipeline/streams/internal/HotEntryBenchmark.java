package dev.metricspipeline.streams.internal;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the streams stage does to a series' hot entry ({@link SeriesState}) for one in-order sample,
 * without the stores around it: decode the entry, add the sample to the open 1m, 5m and 1h windows
 * (the 1m one keeps it among its samples), encode the entry. {@code tail}: the samples the 1m
 * window holds in the entry (4 for a series scraped every 15 s; 16 to 47, 32 on average, for one
 * with a sample every 166 ms once its older samples are sealed). In this package because the hot
 * entry is internal to the stage.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotEntryBenchmark {

  private static final long T0 = 1_767_225_600_000L;

  @Param({"4", "32"})
  public int tail;

  private byte[] entry;
  private long next;

  @Setup
  public void entry() {
    SeriesState s = new SeriesState();
    long[] sizes = {60_000, 300_000, 3_600_000};
    for (int r = 0; r < sizes.length; r++) {
      s.open.add(new SeriesState.Window(r, T0, true, r == 0));
    }
    long ts = T0;
    for (int i = 0; i < tail; i++) {
      ts += 166;
      for (SeriesState.Window w : s.open) {
        w.add(ts, i);
        if (w.keepsSamples) {
          w.insertSample(ts, i);
        }
      }
    }
    s.hasLast = true;
    s.lastTs = ts;
    entry = s.encode();
    next = ts + 166;
  }

  /** One sample newer than all on the same entry each time: the entry does not grow. */
  @Benchmark
  public byte[] inOrderSample() {
    SeriesState s = SeriesState.decode(entry);
    for (SeriesState.Window w : s.open) {
      w.add(next, 1);
      if (w.keepsSamples) {
        w.insertSample(next, 1);
      }
    }
    s.lastTs = next;
    return s.encode();
  }
}
