package dev.metricspipeline.bench;

import com.sun.net.httpserver.HttpServer;
import dev.metricspipeline.pull.PullConfig;
import dev.metricspipeline.pull.Scraper;
import dev.metricspipeline.pull.ScraperSettings;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scraper load: {@code targets} targets (one in-process HTTP server serving a real node_exporter
 * 1.5.0 page of 503 samples) at a 15 s interval for {@code seconds}; prints scrapes by result,
 * samples per second, and the process's CPU time per million samples scraped (the target server's
 * share included; publishing to Kafka not included: samples are counted and dropped).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.metricspipeline.bench.ScrapeLoad [targets]
 * [seconds]} (defaults 1000, 60).
 */
public final class ScrapeLoad {

  private ScrapeLoad() {}

  public static void main(String[] args) throws Exception {
    int targets = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    byte[] page;
    try (InputStream in = ScrapeLoad.class.getResourceAsStream("/node_exporter_1.5.0.txt")) {
      page = in.readAllBytes();
    }
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext(
        "/metrics",
        ex -> {
          ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
          ex.sendResponseHeaders(200, page.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(page);
          }
        });
    server.start();
    StringBuilder yaml =
        new StringBuilder(
            "scrape_configs:\n  - job_name: load\n    scrape_interval: 15s\n    static_configs:\n");
    for (int i = 0; i < targets; i++) {
      yaml.append("      - {targets: ['127.0.0.1:")
          .append(server.getAddress().getPort())
          .append("'], labels: {i: '")
          .append(i)
          .append("'}}\n");
    }
    LongAdder samples = new LongAdder();
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (Scraper scraper =
        Scraper.start(
            ScraperSettings.defaults().withListen("127.0.0.1", 0),
            () -> PullConfig.parse(yaml.toString(), "load.yml", null),
            (List<MetricSample> batch) -> {
              samples.add(batch.size());
              return CompletableFuture.completedFuture(null);
            },
            SeriesKey.standard(),
            meters)) {
      TimeUnit.SECONDS.sleep(20); // warm-up: every target has started and scraped at least once
      System.out.printf("%d targets active%n", scraper.activeTargets());
      long cpu0 = os.getProcessCpuTime();
      long samples0 = samples.sum();
      long t0 = System.nanoTime();
      TimeUnit.SECONDS.sleep(seconds);
      double wall = (System.nanoTime() - t0) / 1e9;
      double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
      long n = samples.sum() - samples0;
      System.out.printf(
          "%d targets at 15 s: %,d samples in %.0f s (%,.0f/s, expected %,.0f/s); CPU %.1f s"
              + " (%.0f%% of 2 cores) = %.2f CPU-s per million samples%n",
          targets,
          n,
          wall,
          n / wall,
          targets * 508 / 15.0,
          cpu,
          100 * cpu / wall / 2,
          cpu / (n / 1e6));
      for (Meter m : meters.find("scraper.scrapes").meters()) {
        System.out.printf(
            "  scrapes %s: %.0f%n", m.getId().getTag("result"), ((Counter) m).count());
      }
    } finally {
      server.stop(0);
    }
    System.exit(0); // the HTTP server's pool threads would keep the JVM up
  }
}
