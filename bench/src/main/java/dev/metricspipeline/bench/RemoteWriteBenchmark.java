package dev.metricspipeline.bench;

import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.RemoteWriteParser;
import dev.metricspipeline.formats.RemoteWriteSeriesCache;
import dev.metricspipeline.schemas.SeriesKey;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The push gateway's parse of one remote_write request in the steady state: {@code
 * bench/peers/remote-write.sh}'s steady body (1,000 series of one sample, {@link PeerPayloads}),
 * snappy-decompressed, read, looked up in a warm {@link RemoteWriteSeriesCache} that keeps
 * encodings (as the gateway's does) and typed by name (no metadata). samples/s = ops/s × 1,000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RemoteWriteBenchmark {

  private byte[] steady;
  private RemoteWriteSeriesCache cache;

  @Setup
  public void load() throws IOException, ParseException {
    steady = PeerPayloads.writeRequest("steady", 1_700_000_000_000L);
    cache =
        new RemoteWriteSeriesCache(RemoteWriteSeriesCache.DEFAULT_MAX_SERIES, SeriesKey.standard());
    for (int i = 0; i < 3; i++) { // a series is kept the second time it is seen
      parseSteady();
    }
  }

  /** One steady request, every series found in the cache. */
  @Benchmark
  public RemoteWriteParser.Typed parseSteady() throws ParseException {
    return new RemoteWriteParser(64 << 20, cache).parse(steady, 0, family -> null);
  }
}
