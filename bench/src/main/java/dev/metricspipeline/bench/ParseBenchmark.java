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
  private byte[] histograms;

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
    histograms = histograms().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A JVM service's page as the Prometheus Java client writes it: 30 histograms, 3 label sets each,
   * the default 11 buckets plus +Inf with bounds written as doubles ({@code le="1.0"}), then sum
   * and count: 1,260 samples.
   */
  static String histograms() {
    String[] bounds = {
      "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"
    };
    StringBuilder page = new StringBuilder();
    for (int h = 0; h < 30; h++) {
      String name = "http_request_duration_seconds_" + h;
      page.append("# HELP ").append(name).append(" Request latency of handler ").append(h);
      page.append("\n# TYPE ").append(name).append(" histogram\n");
      for (String method : new String[] {"GET", "POST", "PUT"}) {
        String labels = "method=\"" + method + "\",path=\"/api/v1/items/" + h + "\",status=\"200\"";
        long count = 0;
        for (String le : bounds) {
          count += 7;
          page.append(name).append("_bucket{").append(labels).append(",le=\"").append(le);
          page.append("\",} ").append(count).append(".0\n");
        }
        page.append(name).append("_sum{").append(labels).append(",} 12.75\n");
        page.append(name)
            .append("_count{")
            .append(labels)
            .append(",} ")
            .append(count)
            .append(".0\n");
      }
    }
    return page.toString();
  }

  @Benchmark
  public ParseResult prometheusTextNodeExporter() throws ParseException {
    return TextFormatParser.prometheus().parse(nodeExporter, 0);
  }

  private final SeriesTextCache scrapeCache = new SeriesTextCache();

  /**
   * The same capture parsed as the scraper parses a target's every scrape: with the target's series
   * text cache, warm after the first operation (every series was in the last body). Each operation
   * parses a fresh copy of the bytes, as each scrape's body is a new array: the cache keeps the
   * last body's and compares the next with it, which the very same array would flatter.
   */
  @Benchmark
  public ParseResult prometheusTextNodeExporterCached() throws ParseException {
    return TextFormatParser.prometheus().parse(nodeExporter.clone(), 0, scrapeCache);
  }

  private final SeriesTextCache[] targetCaches = new SeriesTextCache[100];
  private int nextTarget;

  /**
   * As {@link #prometheusTextNodeExporterCached()}, but round the caches of 100 targets, one page
   * an operation, as {@code bench/peers/scrape.sh}'s scraper parses: every target's series texts,
   * names and labels are its own objects, so a parse finds them colder in the CPU's caches than one
   * cache parsing the same page again does.
   */
  @Benchmark
  public ParseResult prometheusTextNodeExporterCached100Targets() throws ParseException {
    int target = nextTarget;
    nextTarget = target == targetCaches.length - 1 ? 0 : target + 1;
    SeriesTextCache cache = targetCaches[target];
    if (cache == null) {
      cache = targetCaches[target] = new SeriesTextCache();
    }
    return TextFormatParser.prometheus().parse(nodeExporter.clone(), 0, cache);
  }

  private final SeriesTextCache histogramCache = new SeriesTextCache();

  /** {@link #histograms()} parsed with its cache, warm after the first operation: 1,260 samples. */
  @Benchmark
  public ParseResult prometheusTextHistogramsCached() throws ParseException {
    return TextFormatParser.prometheus().parse(histograms.clone(), 0, histogramCache);
  }

  /** 500 lines, 1,000 samples per operation. */
  @Benchmark
  public ParseResult influxLines() throws ParseException {
    return InfluxLineParser.withPrecision("ns").parse(influx, 0);
  }
}
