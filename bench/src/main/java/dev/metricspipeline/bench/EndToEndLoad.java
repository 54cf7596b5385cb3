package dev.metricspipeline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.formats.PromDurations;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The end-to-end load generator: drives a running pipeline (for example {@code ./metrics-pipeline
 * run}) over HTTP at a fixed rate and checks what comes out of the store.
 *
 * <p>It writes Influx line protocol ({@code e2e_load,run=<id>,series=<i> value=<v> <ms>}) to the
 * push gateway's {@code /api/v2/write}, in batches, paced to {@code --rate} samples per second over
 * {@code --series} series, with at most {@code --connections} requests in flight. Every sample of a
 * series has its own millisecond, so none is a duplicate. After {@code --duration} it waits for the
 * windows that hold the samples to close and asks the query API for {@code
 * count_over_time(e2e_load_value{run="<id>"}[<resolution>])} until the counts add up to the samples
 * the gateway accepted (or {@code --wait} runs out). It prints the achieved rate, the HTTP latency
 * of the batches, what was refused, and how complete the store is and when it became so: samples
 * lost or counted twice anywhere on the way show here. A batch that fails (connection refused,
 * timeout, 5xx) is sent again until acknowledged, so the generator rides through restarts of the
 * pipeline, as a real sender does; the query phase likewise waits out a restarting query API.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.metricspipeline.bench.EndToEndLoad [--push-url
 * http://127.0.0.1:9091] [--query-url http://127.0.0.1:9095] [--series 10000] [--rate 20000]
 * [--duration 60] [--batch 1000] [--connections 4] [--resolution 1m] [--wait 240] [--warmup 0]}.
 *
 * <p>{@code --warmup S}: the batches sent in the first S seconds (a cold pipeline: JIT, first
 * transactions, every series new) are left out of the latency percentiles and shown on their own
 * line; they count in the rate and in the store check like every other. After the percentiles it
 * prints the seconds of the run in which the batches at or above the p99 were sent, so a tail from
 * one pause shows as one cluster.
 */
public final class EndToEndLoad {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String pushUrl;
  private final String queryUrl;
  private final int series;
  private final int rate;
  private final int durationSeconds;
  private final int batch;
  private final int connections;
  private final String resolution;
  private final int waitSeconds;
  private final int warmupSeconds;
  private final String runId = UUID.randomUUID().toString().substring(0, 8);
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  // Pairs (second of the run the batch was sent in, latency in microseconds), for the slow tail.
  private final List<long[]> latencyAt = Collections.synchronizedList(new ArrayList<>());
  private long sendStart;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong failedRequests = new AtomicLong();
  private final Map<Integer, AtomicLong> statuses = new java.util.concurrent.ConcurrentHashMap<>();

  private EndToEndLoad(Map<String, String> options) {
    this.pushUrl = options.getOrDefault("push-url", "http://127.0.0.1:9091");
    this.queryUrl = options.getOrDefault("query-url", "http://127.0.0.1:9095");
    this.series = Integer.parseInt(options.getOrDefault("series", "10000"));
    this.rate = Integer.parseInt(options.getOrDefault("rate", "20000"));
    this.durationSeconds = Integer.parseInt(options.getOrDefault("duration", "60"));
    this.batch = Integer.parseInt(options.getOrDefault("batch", "1000"));
    this.connections = Integer.parseInt(options.getOrDefault("connections", "4"));
    this.resolution = options.getOrDefault("resolution", "1m");
    this.waitSeconds = Integer.parseInt(options.getOrDefault("wait", "240"));
    this.warmupSeconds = Integer.parseInt(options.getOrDefault("warmup", "0"));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 == args.length) {
        throw new IllegalArgumentException(
            "expected --name value pairs, got '" + args[i] + "' (see the Javadoc of EndToEndLoad)");
      }
      options.put(args[i].substring(2), args[++i]);
    }
    new EndToEndLoad(options).run();
  }

  private void run() throws Exception {
    System.out.printf(
        Locale.ROOT,
        "run %s: %d series, %d samples/s for %d s in batches of %d, %d connections -> %s%n",
        runId,
        series,
        rate,
        durationSeconds,
        batch,
        connections,
        pushUrl);
    long firstSample = System.currentTimeMillis();
    long sendNanos = send();
    long lastSample = System.currentTimeMillis();
    double seconds = sendNanos / 1e9;
    List<Long> sorted = new ArrayList<>();
    List<Long> warmup = new ArrayList<>();
    synchronized (latencyAt) {
      for (long[] at : latencyAt) {
        (at[0] < warmupSeconds ? warmup : sorted).add(at[1]);
      }
    }
    Collections.sort(sorted);
    Collections.sort(warmup);
    System.out.printf(
        Locale.ROOT,
        "sent in %.1f s: %d samples acknowledged (%.0f/s), %d refused (4xx), %d attempts"
            + " retried; statuses %s%n",
        seconds,
        accepted.get(),
        accepted.get() / seconds,
        refused.get(),
        failedRequests.get(),
        statuses);
    System.out.printf(
        Locale.ROOT,
        "batch latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d batches)%n",
        percentile(sorted, 0.50),
        percentile(sorted, 0.90),
        percentile(sorted, 0.99),
        sorted.isEmpty() ? 0.0 : sorted.get(sorted.size() - 1) / 1000.0,
        sorted.size());
    if (warmupSeconds > 0) {
      System.out.printf(
          Locale.ROOT,
          "  (not in these: the %d batches sent in the first %d s of warm-up: p50 %.1f ms, p99 %.1f"
              + " ms, max %.1f ms)%n",
          warmup.size(),
          warmupSeconds,
          percentile(warmup, 0.50),
          percentile(warmup, 0.99),
          warmup.isEmpty() ? 0.0 : warmup.get(warmup.size() - 1) / 1000.0);
    }
    printSlowest(percentile(sorted, 0.99), firstSample);
    verify(firstSample, lastSample);
  }

  /** Sends for the duration at the configured rate; returns the nanoseconds it took. */
  private long send() throws InterruptedException {
    Semaphore inFlight = new Semaphore(connections);
    long[] lastTimestamp = new long[series];
    long batchesTotal = (long) rate * durationSeconds / batch;
    long intervalNanos = 1_000_000_000L * batch / rate;
    long start = System.nanoTime();
    sendStart = start;
    int next = 0;
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    for (long b = 0; b < batchesTotal; b++) {
      long due = start + b * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      StringBuilder body = new StringBuilder(batch * 48);
      long now = System.currentTimeMillis();
      for (int i = 0; i < batch; i++) {
        int s = next;
        next = (next + 1) % series;
        long ts = Math.max(now, lastTimestamp[s] + 1);
        lastTimestamp[s] = ts;
        body.append("e2e_load,run=")
            .append(runId)
            .append(",series=")
            .append(s)
            .append(" value=")
            .append(b % 1000)
            .append(' ')
            .append(ts)
            .append('\n');
      }
      inFlight.acquire();
      pending.add(sendUntilAcknowledged(body.toString(), System.nanoTime(), inFlight));
    }
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
    return System.nanoTime() - start;
  }

  /**
   * Sends one batch and, as a real sender does, sends it again after a short backoff until it is
   * acknowledged: a refused connection, a timeout or a 5xx (the gateway restarting, Kafka away) is
   * retried; a 4xx is final (counted as refused). Every sample has its own timestamp, so a batch
   * that was committed although its answer was lost is an exact duplicate the pipeline drops. The
   * latency recorded runs from the first attempt to the acknowledgement.
   */
  private CompletableFuture<Void> sendUntilAcknowledged(
      String body, long sent, Semaphore inFlight) {
    return http.sendAsync(
            HttpRequest.newBuilder(URI.create(pushUrl + "/api/v2/write?precision=ms"))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .handle(
            (response, error) -> {
              if (error == null) {
                statuses
                    .computeIfAbsent(response.statusCode(), k -> new AtomicLong())
                    .incrementAndGet();
              }
              if (error == null && response.statusCode() / 100 == 2) {
                long micros = (System.nanoTime() - sent) / 1000;
                latencyAt.add(new long[] {(sent - sendStart) / 1_000_000_000L, micros});
                accepted.addAndGet(batch);
                inFlight.release();
                return CompletableFuture.<Void>completedFuture(null);
              }
              if (error == null && response.statusCode() / 100 == 4) {
                refused.addAndGet(batch);
                inFlight.release();
                return CompletableFuture.<Void>completedFuture(null);
              }
              failedRequests.incrementAndGet();
              return CompletableFuture.runAsync(
                      () -> {}, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS))
                  .thenCompose(x -> sendUntilAcknowledged(body, sent, inFlight));
            })
        .thenCompose(f -> f);
  }

  /**
   * Where the tail is: the seconds of the run in which the batches at or above the p99 were sent,
   * with how many and the slowest. Clustered seconds point at a pause (GC, a window closing, a log
   * roll); spread ones at queueing.
   */
  private void printSlowest(double p99Millis, long firstSample) {
    Map<Long, long[]> bySecond = new java.util.TreeMap<>();
    synchronized (latencyAt) {
      for (long[] at : latencyAt) {
        if (at[0] >= warmupSeconds && at[1] >= p99Millis * 1000) {
          long[] c = bySecond.computeIfAbsent(at[0], k -> new long[2]);
          c[0]++;
          c[1] = Math.max(c[1], at[1]);
        }
      }
    }
    StringBuilder line =
        new StringBuilder("batches at or above p99 by second sent (0 s = ")
            .append(java.time.Instant.ofEpochMilli(firstSample))
            .append("; count, max ms):");
    bySecond.forEach(
        (second, c) ->
            line.append(String.format(Locale.ROOT, " %ds %d %.0f;", second, c[0], c[1] / 1000.0)));
    System.out.println(line);
  }

  private static double percentile(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int i = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, i)) / 1000.0;
  }

  /**
   * Polls the query API until the stored windows of this run count every accepted sample, and
   * prints when that happened; fails if they count more, or not enough by the deadline.
   */
  private void verify(long firstSample, long lastSample) throws Exception {
    long r = PromDurations.parse(resolution);
    long firstWindow = Math.floorDiv(firstSample, r) * r;
    long lastWindowEnd = (Math.floorDiv(lastSample, r) + 1) * r;
    String query = "count_over_time(e2e_load_value{run=\"" + runId + "\"}[" + resolution + "])";
    // At time t the query API reads the window that ended at or before t: stamp each window's end.
    String url =
        queryUrl
            + "/api/v1/query_range?query="
            + URLEncoder.encode(query, StandardCharsets.UTF_8)
            + "&start="
            + (firstWindow + r) / 1000
            + "&end="
            + lastWindowEnd / 1000
            + "&step="
            + r / 1000;
    long deadline = System.currentTimeMillis() + waitSeconds * 1000L;
    long counted = -1;
    int seriesSeen = 0;
    while (System.currentTimeMillis() < deadline) {
      HttpResponse<String> response;
      try {
        response =
            http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException e) {
        TimeUnit.SECONDS.sleep(2); // the query API is restarting: ask again
        continue;
      }
      if (response.statusCode() / 100 == 5) {
        TimeUnit.SECONDS.sleep(2); // not ready (its store away): ask again
        continue;
      }
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "query API answered " + response.statusCode() + ": " + response.body());
      }
      counted = 0;
      JsonNode result = JSON.readTree(response.body()).at("/data/result");
      seriesSeen = result.size();
      for (JsonNode s : result) {
        for (JsonNode point : s.get("values")) {
          counted += Long.parseLong(point.get(1).asText());
        }
      }
      if (counted >= accepted.get()) {
        break;
      }
      TimeUnit.SECONDS.sleep(2);
    }
    long complete = System.currentTimeMillis();
    System.out.printf(
        Locale.ROOT,
        "store: %d acknowledged, %d stored in %d series, %d lost, %d doubled (%s); last sample"
            + " at +0 s, last window end at +%.1f s, checked at +%.1f s%n",
        accepted.get(),
        counted,
        seriesSeen,
        Math.max(0, accepted.get() - counted),
        Math.max(0, counted - accepted.get()),
        counted == accepted.get() ? "exact" : counted > accepted.get() ? "TOO MANY" : "MISSING",
        (lastWindowEnd - lastSample) / 1000.0,
        (complete - lastSample) / 1000.0);
    if (counted != accepted.get()) {
      System.exit(1);
    }
  }
}
