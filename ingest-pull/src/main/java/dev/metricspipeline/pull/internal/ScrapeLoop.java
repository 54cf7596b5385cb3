package dev.metricspipeline.pull.internal;

import dev.metricspipeline.pull.PullConfig;
import dev.metricspipeline.pull.ScrapePublisher;
import dev.metricspipeline.pull.Target;
import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes one target every interval, starting at a stable offset within the interval (a hash of the
 * target), so that many targets spread over the interval as Prometheus spreads them.
 *
 * <p>Each scrape: GET with Prometheus's {@code Accept} (OpenMetrics preferred, then text 0.0.4),
 * gzip, the timeout; the body read up to {@code body_size_limit}; then {@link ScrapeProcessor}
 * (parse, metric relabeling, target labels, limits, the report series) off the event loop, and
 * {@link ScrapeStaleness} (stale markers for series that went). A scrape that fails in any of these
 * ways publishes none of its samples, only {@code up 0} and the report series, and stale markers
 * for the last scrape's series; when the target goes away, all its series (report series too) get
 * one. Everything of one scrape is published in one call (one Kafka transaction, or part of one
 * group commit).
 */
public final class ScrapeLoop {

  private static final Logger LOG = LoggerFactory.getLogger(ScrapeLoop.class);
  static final String ACCEPT =
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
          + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  private static final List<String> REPORT_SERIES =
      List.of(
          "up",
          "scrape_duration_seconds",
          "scrape_samples_scraped",
          "scrape_samples_post_metric_relabeling",
          "scrape_series_added");

  /** The result of the last scrape, for /api/v1/targets and the metrics. */
  public record Status(
      String health, String lastError, long lastScrapeMs, double lastDurationSeconds) {}

  private final Vertx vertx;
  private final HttpClient client;
  private final Target target;
  private final ScrapePublisher publisher;
  private final ScrapeProcessor processor;
  private final ScrapeStaleness staleness = new ScrapeStaleness();
  private final ScrapeMetrics metrics;
  private final Clock clock;
  private final Consumer<Consumer<Runnable>> concurrency;
  private volatile Status status = new Status("unknown", "", 0, 0);
  private long timerId = -1;
  private boolean inFlight;
  private long inFlightSinceMs;
  // Bumped per scrape: the completion of a scrape given up as wedged must not touch the next one.
  private long generation;
  private boolean stopped;
  private volatile String forcedError;

  /**
   * @param concurrency runs a scrape (given the permit's release) when a permit is free
   * @param clock the wall clock: scrape phases, sample timestamps, stale marker times
   */
  public ScrapeLoop(
      Vertx vertx,
      HttpClient client,
      Target target,
      ScrapePublisher publisher,
      Map<String, String> externalLabels,
      String replica,
      SeriesKey seriesKey,
      SampleTimestamps timestamps,
      ScrapeMetrics metrics,
      Consumer<Consumer<Runnable>> concurrency,
      Clock clock) {
    this.vertx = vertx;
    this.client = client;
    this.target = target;
    this.publisher = publisher;
    this.processor =
        new ScrapeProcessor(target, externalLabels, replica, seriesKey, timestamps, metrics);
    this.metrics = metrics;
    this.concurrency = concurrency;
    this.clock = clock;
  }

  public Target target() {
    return target;
  }

  public Status status() {
    return status;
  }

  /**
   * Makes every scrape fail with this error without fetching ({@code target_limit} exceeded: the
   * targets are marked failed, {@code up} 0, as Prometheus does); null scrapes normally again.
   */
  public void failWith(String error) {
    this.forcedError = error;
  }

  /** Takes over a previous loop's state for the same target (after a reload changed it). */
  public void adopt(ScrapeLoop previous) {
    this.staleness.adopt(previous.staleness);
    this.status = previous.status;
  }

  /** The first scrape is at the target's offset within the interval, then every interval. */
  public void start() {
    long interval = target.interval().toMillis();
    timerId =
        vertx.setTimer(
            firstDelayMs(target.key(), interval, clock.millis()),
            id -> {
              tick();
              timerId = vertx.setPeriodic(interval, t -> tick());
            });
  }

  /**
   * How long from {@code nowMs} until the target's first scrape: its scrapes fall at a fixed phase
   * within the interval (a hash of the target's key), the same on every instance and after every
   * restart, so many targets spread over the interval as Prometheus spreads them. At least 1 ms.
   */
  static long firstDelayMs(String targetKey, long intervalMs, long nowMs) {
    long offset = Math.floorMod(targetKey.hashCode() * 0x9E3779B97F4A7C15L, intervalMs);
    return Math.max(1, Math.floorMod(offset - nowMs, intervalMs));
  }

  /**
   * One turn of the loop. Nothing it calls may end the loop: an exception is a fault of the stage
   * ({@code stage_faults_total{stage="scraper"}}), and a scrape still in flight after the target's
   * timeout plus the publisher's deadline is given up as wedged, counted the same way, so the loop
   * goes on instead of skipping every turn as an overlap.
   */
  private void tick() {
    if (stopped) {
      return;
    }
    long now = clock.millis();
    if (inFlight) {
      long bound = target.timeout().toMillis() + publisher.deadline().toMillis();
      if (now - inFlightSinceMs <= bound) {
        metrics.scrape("skipped_overlap");
        return;
      }
      metrics.loopFault(
          "the scrape of "
              + target.url()
              + " has not finished "
              + (now - inFlightSinceMs)
              + " ms after it started; giving it up");
    }
    long gen = ++generation;
    inFlight = true;
    inFlightSinceMs = now;
    try {
      String error = forcedError;
      if (error != null) {
        failed(new ScrapeFailure("target_limit", error), now, System.nanoTime(), gen);
        return;
      }
      concurrency.accept(release -> scrape(release, gen));
    } catch (RuntimeException e) {
      done(gen);
      metrics.scrape("error");
      metrics.loopFault("the scrape of " + target.url() + " failed: " + e);
    }
  }

  private void done(long gen) {
    if (gen == generation) {
      inFlight = false;
    }
  }

  /**
   * Stops scraping. With {@code stale}, publishes a stale marker for every series of the target (it
   * went away); without (it moved to another instance), publishes nothing.
   */
  public CompletableFuture<Void> stop(boolean stale) {
    stopped = true;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    if (!stale) {
      return CompletableFuture.completedFuture(null);
    }
    long now = clock.millis();
    List<MetricSample> markers = staleness.allStale(now);
    for (String name : REPORT_SERIES) {
      markers.add(ScrapeProcessor.stale(processor.report(name, 0, now), now));
    }
    return publishOffLoop(markers, null);
  }

  /**
   * The publisher encodes on the calling thread and may ask the Schema Registry on its first call:
   * never on an event loop.
   */
  private CompletableFuture<Void> publishOffLoop(
      List<MetricSample> batch, List<EncodedSeries> series) {
    return vertx
        .executeBlocking(
            () -> series == null ? publisher.publish(batch) : publisher.publish(batch, series),
            false)
        .toCompletionStage()
        .toCompletableFuture()
        .thenCompose(published -> published);
  }

  private void scrape(Runnable release, long gen) {
    long start = clock.millis();
    long started = System.nanoTime();
    Future<ScrapeProcessor.Scraped> scraped;
    try {
      scraped =
          authorization()
              .compose(this::fetch)
              .compose(
                  body ->
                      vertx.executeBlocking(
                          () -> processor.process(body.bytes, body.contentType, start, started),
                          false));
    } catch (RuntimeException e) {
      // Thrown before anything was under way: give the permit back, or every loop starves.
      release.run();
      done(gen);
      metrics.scrape("error");
      metrics.loopFault("the scrape of " + target.url() + " could not start: " + e);
      return;
    }
    scraped.onComplete(
        ar -> {
          release.run();
          try {
            if (ar.failed()) {
              failed(ar.cause(), start, started, gen);
            } else {
              publish(ar.result(), start, gen);
            }
          } catch (RuntimeException e) {
            done(gen);
            metrics.scrape("error");
            metrics.loopFault("the scrape of " + target.url() + " could not be published: " + e);
          }
        });
  }

  private record Body(byte[] bytes, String contentType) {}

  /**
   * The Authorization header value (null for none). Credential files are read again at every scrape
   * (so a rotated secret is picked up, as in Prometheus), on a worker thread: never file I/O on the
   * event loop.
   */
  private Future<String> authorization() {
    PullConfig.ScrapeJob job = target.job();
    boolean readsFile =
        (job.basicAuth() != null && job.basicAuth().passwordFile() != null)
            || job.authorizationCredentialsFile() != null;
    if (!readsFile) {
      try {
        return Future.succeededFuture(authorization(job));
      } catch (java.io.IOException e) {
        return Future.failedFuture(e); // not reached: nothing is read
      }
    }
    return vertx
        .executeBlocking(() -> authorization(job), false)
        .recover(
            e -> Future.failedFuture(new ScrapeFailure("auth", "cannot read credentials: " + e)));
  }

  private Future<Body> fetch(String auth) {
    Promise<Body> promise = Promise.promise();
    long timeoutMs = target.timeout().toMillis();
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(target.url())
            .setIdleTimeout(timeoutMs)
            // follow_redirects, true unless the job says false, as in Prometheus
            .setFollowRedirects(target.job().followRedirects())
            .putHeader("Accept", ACCEPT)
            .putHeader("User-Agent", "metrics-pipeline-scraper/0.1")
            .putHeader("X-Prometheus-Scrape-Timeout-Seconds", Double.toString(timeoutMs / 1000.0));
    PullConfig.Tls tls = target.job().tls();
    if (tls != null && tls.serverName() != null && target.url().startsWith("https:")) {
      withServerName(options, tls.serverName());
    }
    if (auth != null) {
      options.putHeader("Authorization", auth);
    }
    long limit = target.job().bodySizeLimit();
    long timer =
        vertx.setTimer(
            timeoutMs,
            id ->
                promise.tryFail(
                    new ScrapeFailure(
                        "timeout",
                        "context deadline exceeded (timeout " + target.timeout() + ")")));
    client
        .request(options)
        .compose(HttpClientRequest::send)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                promise.tryFail(
                    new ScrapeFailure("connection", String.valueOf(ar.cause().getMessage())));
                return;
              }
              var response = ar.result();
              response.exceptionHandler(
                  e ->
                      promise.tryFail(
                          new ScrapeFailure("connection", String.valueOf(e.getMessage()))));
              if (response.statusCode() != 200) {
                promise.tryFail(
                    new ScrapeFailure(
                        "http_status",
                        "server returned HTTP status "
                            + response.statusCode()
                            + " "
                            + response.statusMessage()));
                response.request().reset();
                return;
              }
              Buffer body = Buffer.buffer();
              response.handler(
                  chunk -> {
                    body.appendBuffer(chunk);
                    if (limit > 0 && body.length() > limit) {
                      promise.tryFail(
                          new ScrapeFailure(
                              "body_size_limit",
                              "body size limit exceeded (limit: " + limit + " bytes)"));
                      response.request().reset();
                    }
                  });
              response.endHandler(
                  v ->
                      promise.tryComplete(
                          new Body(body.getBytes(), response.getHeader("Content-Type"))));
            });
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /**
   * {@code tls_config.server_name}: the TLS handshake (SNI and the name the certificate must carry)
   * uses the server name while the connection still goes to the target's address and the {@code
   * Host} header still names it, as in Prometheus.
   */
  private void withServerName(RequestOptions options, String serverName) {
    URI uri = URI.create(target.url());
    int port = uri.getPort() == -1 ? 443 : uri.getPort();
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    options
        .setSsl(true)
        .setHost(serverName)
        .setPort(port)
        .setURI(path)
        .setServer(SocketAddress.inetSocketAddress(port, host))
        .putHeader("Host", uri.getRawAuthority());
  }

  private static String authorization(PullConfig.ScrapeJob job) throws java.io.IOException {
    if (job.basicAuth() != null) {
      PullConfig.BasicAuth b = job.basicAuth();
      String password =
          b.passwordFile() != null ? Files.readString(b.passwordFile()).strip() : b.password();
      String pair =
          (b.username() == null ? "" : b.username()) + ":" + (password == null ? "" : password);
      return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }
    if (job.authorizationType() != null) {
      String credentials =
          job.authorizationCredentialsFile() != null
              ? Files.readString(job.authorizationCredentialsFile()).strip()
              : job.authorizationCredentials();
      return job.authorizationType() + " " + (credentials == null ? "" : credentials);
    }
    return null;
  }

  private void publish(ScrapeProcessor.Scraped scraped, long start, long gen) {
    if (stopped) {
      done(gen);
      return;
    }
    // Each series (id and encoding) comes from the scrape cache and is handed to the publisher.
    List<MetricSample> batch = new ArrayList<>(scraped.samples().size() + 8);
    List<EncodedSeries> series = new ArrayList<>(scraped.samples().size() + 8);
    int added = staleness.succeeded(scraped.samples(), scraped.series(), start, batch, series);
    batch.add(processor.report("up", 1, start));
    batch.add(processor.report("scrape_duration_seconds", scraped.seconds(), start));
    batch.add(processor.report("scrape_samples_scraped", scraped.scraped(), start));
    batch.add(
        processor.report("scrape_samples_post_metric_relabeling", scraped.samples().size(), start));
    batch.add(processor.report("scrape_series_added", added, start));
    while (series.size() < batch.size()) {
      series.add(null); // the report series: the publisher keys them
    }
    status = new Status("up", "", start, scraped.seconds());
    send(batch, series, "success", scraped.samples().size(), gen);
  }

  private void failed(Throwable cause, long start, long started, long gen) {
    ScrapeFailure failure =
        cause instanceof ScrapeFailure f ? f : new ScrapeFailure("error", String.valueOf(cause));
    double seconds = (System.nanoTime() - started) / 1e9;
    if (stopped) {
      done(gen);
      return;
    }
    LOG.debug("Scrape of {} failed: {}", target.url(), failure.getMessage());
    List<MetricSample> batch = staleness.allStale(start);
    batch.add(processor.report("up", 0, start));
    batch.add(processor.report("scrape_duration_seconds", seconds, start));
    batch.add(processor.report("scrape_samples_scraped", 0, start));
    batch.add(processor.report("scrape_samples_post_metric_relabeling", 0, start));
    batch.add(processor.report("scrape_series_added", 0, start));
    status = new Status("down", failure.getMessage(), start, seconds);
    send(batch, null, failure.kind(), 0, gen);
  }

  /**
   * Publishes a scrape's batch. A target that is down is the target's problem ({@code up} 0); a
   * batch the publisher loses is the scraper's: a fault of the stage, and a success clears them.
   */
  private void send(
      List<MetricSample> batch, List<EncodedSeries> series, String result, int samples, long gen) {
    publishOffLoop(batch, series)
        .whenComplete(
            (ok, e) ->
                vertx.runOnContext(
                    v -> {
                      done(gen);
                      if (e != null) {
                        metrics.scrape("publish_failed");
                        metrics.loopFault(
                            "publishing the scrape of "
                                + target.url()
                                + " failed; its samples are lost: "
                                + e);
                      } else {
                        metrics.scrape(result);
                        metrics.published(batch.size());
                        metrics.loopOk();
                      }
                    }));
  }
}
