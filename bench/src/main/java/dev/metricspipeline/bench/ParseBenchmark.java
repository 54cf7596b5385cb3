package dev.metricspipeline.bench;

import dev.metricspipeline.formats.InfluxLineParser;
import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.SeriesTextCache;
import dev.metricspipeline.formats.TextFormatParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
 * Parse throughput on a real node_exporter 1.5.0 capture (1,067 lines, 503 samples). One operation
 * parses the whole capture; samples/s = ops/s × 503.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ParseBenchmark {

  private byte[] nodeExporter;
  private byte[] influx;

  @Setup
  public void load() throws IOException {
    try (InputStream in = ParseBenchmark.class.getResourceAsStream("/node_exporter_1.5.0.txt")) {
      nodeExporter = in.readAllBytes();
    }
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      lines
          .append("cpu,cpu=cpu")
          .append(i % 8)
          .append(",host=h")
          .append(i % 50)
          .append(" usage_idle=97.5,usage_user=1.25 1700000000000000000\n");
    }
    influx = lines.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  public ParseResult prometheusTextNodeExporter() throws ParseException {
    return TextFormatParser.prometheus().parse(nodeExporter, 0);
  }

  private final SeriesTextCache scrapeCache = new SeriesTextCache();

  /**
   * The same capture parsed as the scraper parses a target's every scrape: with the target's series
   * text cache, warm after the first operation (every series was in the last body).
   */
  @Benchmark
  public ParseResult prometheusTextNodeExporterCached() throws ParseException {
    return TextFormatParser.prometheus().parse(nodeExporter, 0, scrapeCache);
  }

  /** 500 lines, 1,000 samples per operation. */
  @Benchmark
  public ParseResult influxLines() throws ParseException {
    return InfluxLineParser.withPrecision("ns").parse(influx, 0);
  }
}
