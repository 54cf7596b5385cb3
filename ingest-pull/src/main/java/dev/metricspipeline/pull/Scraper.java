package dev.metricspipeline.pull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metricspipeline.http.OpsRoutes;
import dev.metricspipeline.http.StageVertx;
import dev.metricspipeline.http.WebServers;
import dev.metricspipeline.pull.internal.Discovery;
import dev.metricspipeline.pull.internal.ScrapeLoop;
import dev.metricspipeline.pull.internal.ScrapeMetrics;
import dev.metricspipeline.pull.internal.ShardCoordinator;
import dev.metricspipeline.schemas.SeriesKey;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull side: scrapes the targets of a Prometheus {@code scrape_configs} file and publishes
 * their samples, with {@code up} and the other report series and staleness markers (see {@link
 * ScrapeLoop}), through a publisher (one call per scrape).
 *
 * <p>{@link #reload()} re-reads the config (on {@code POST /-/reload}, and on SIGHUP where the
 * launcher wires it): targets that stay keep their loop and its state (the series seen, for
 * staleness); targets that go get stale markers; a config that does not load is refused and the old
 * one keeps running. File SD files are checked every 5 s and on their refresh interval.
 *
 * <p>With {@link ScraperSettings#coordination()}, instances share the targets through a Kafka
 * consumer group ({@link ShardCoordinator}); a target that moves to another instance is stopped
 * without stale markers, since its series go on.
 *
 * <p>HTTP ({@code --listen}): {@code /metrics} (scraper_targets{state},
 * scraper_scrapes_total{result}, scraper_samples_published_total), {@code /-/healthy}, {@code
 * /-/ready} (once the config is loaded and, when coordinated, shards are assigned), {@code
 * /api/v1/targets} in Prometheus's shape, and {@code POST /-/reload}.
 */
public final class Scraper implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Scraper.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ScraperSettings settings;
  private final Supplier<PullConfig> source;
  private final ScrapePublisher publisher;
  private final SeriesKey seriesKey;
  private final StageVertx stage;
  private final Vertx vertx;
  private final Context context;
  private final ScrapeMetrics metrics;
  private final Discovery discovery = new Discovery();
  private final Map<String, ScrapeLoop> loops = new LinkedHashMap<>();
  private final Map<String, HttpClient> clients = new HashMap<>();
  private final Deque<Consumer<Runnable>> waiting = new ArrayDeque<>();
  private final String instanceId = UUID.randomUUID().toString().substring(0, 8);
  private volatile PullConfig config = PullConfig.empty();
  private volatile Discovery.Result discovered =
      new Discovery.Result(List.of(), List.of(), Map.of());
  private volatile Set<Integer> ownedShards = Set.of();
  private volatile boolean loaded;
  private int freePermits;
  private HttpServer server;
  private ShardCoordinator coordinator;
  private Map<Path, Long> fileStamps = Map.of();

  private Scraper(
      ScraperSettings settings,
      Supplier<PullConfig> source,
      ScrapePublisher publisher,
      SeriesKey seriesKey,
      PrometheusMeterRegistry meters,
      Vertx shared) {
    this.settings = settings;
    this.source = source;
    this.publisher = publisher;
    this.seriesKey = seriesKey;
    this.stage = StageVertx.of(shared);
    this.vertx = stage.get();
    this.context = vertx.getOrCreateContext();
    this.metrics = new ScrapeMetrics(meters);
    this.freePermits = settings.maxConcurrentScrapes();
    for (String state : List.of("up", "down", "unknown")) {
      Gauge.builder("scraper.targets", this, s -> s.count(state))
          .tag("state", state)
          .description("Targets this instance scrapes, by the health of their last scrape")
          .register(meters);
    }
  }

  /**
   * Loads the config, starts the HTTP endpoints and (when coordinated) joins the group, then starts
   * scraping what this instance owns.
   *
   * @param source loads the config; called again on every reload
   * @throws IllegalArgumentException if the first config does not load
   */
  public static Scraper start(
      ScraperSettings settings,
      Supplier<PullConfig> source,
      ScrapePublisher publisher,
      SeriesKey seriesKey,
      PrometheusMeterRegistry meters) {
    return start(settings, source, publisher, seriesKey, meters, null);
  }

  /**
   * As {@link #start(ScraperSettings, Supplier, ScrapePublisher, SeriesKey,
   * PrometheusMeterRegistry)}, on the process's shared Vert.x ({@code run}), which closing the
   * scraper leaves open; null for one of its own.
   */
  public static Scraper start(
      ScraperSettings settings,
      Supplier<PullConfig> source,
      ScrapePublisher publisher,
      SeriesKey seriesKey,
      PrometheusMeterRegistry meters,
      Vertx shared) {
    Scraper scraper = new Scraper(settings, source, publisher, seriesKey, meters, shared);
    scraper.stage.onClose(scraper::closeClients);
    try {
      scraper.config = source.get();
      scraper.loaded = true;
      scraper.server =
          WebServers.listen(
                  scraper.vertx,
                  settings.web(),
                  settings.host(),
                  settings.port(),
                  scraper.requests(meters))
              .await(30, TimeUnit.SECONDS);
      scraper.stage.onClose(scraper.server::close);
      if (settings.coordination() != null) {
        scraper.coordinator =
            ShardCoordinator.start(
                settings.coordination(),
                scraper.instanceId,
                shards -> {
                  scraper.ownedShards = shards;
                  scraper.context.runOnContext(v -> scraper.reconcile());
                });
      }
      scraper.context.runOnContext(v -> scraper.rediscover(true));
      scraper.stage.cancelOnClose(
          scraper.vertx.setPeriodic(
              5_000, id -> scraper.context.runOnContext(v -> scraper.rediscover(false))));
      LOG.info(
          "Scraper {} listening on {}:{} with {} scrape configs",
          scraper.instanceId,
          settings.host(),
          scraper.server.actualPort(),
          scraper.config.jobs().size());
      return scraper;
    } catch (IllegalArgumentException e) {
      scraper.close();
      throw e;
    } catch (Exception e) {
      scraper.close();
      throw new IllegalStateException("scraper cannot start: " + e.getMessage(), e);
    }
  }

  /** The HTTP endpoints' base URL. */
  public String url() {
    return WebServers.url(settings.web(), settings.host(), server.actualPort());
  }

  /**
   * Ready once the config loaded and, if coordinated, the group assigned shards; not while its
   * loops fail (more than five faults in a row: scrapes that throw, wedge or lose their batch).
   */
  public boolean ready() {
    return loaded && (coordinator == null || coordinator.assigned()) && metrics.health().healthy();
  }

  /** The number of targets this instance scrapes now. */
  public int activeTargets() {
    return CompletableFuture.supplyAsync(loops::size, r -> context.runOnContext(v -> r.run()))
        .join();
  }

  /**
   * Re-reads the config and applies it.
   *
   * @throws IllegalArgumentException if the new config does not load (the old one stays)
   */
  public void reload() {
    PullConfig next;
    try {
      next = source.get();
    } catch (RuntimeException e) {
      LOG.error("Reload refused, the running config stays: {}", e.getMessage());
      throw e instanceof IllegalArgumentException iae
          ? iae
          : new IllegalArgumentException(e.getMessage(), e);
    }
    config = next;
    LOG.info("Reloaded: {} scrape configs", next.jobs().size());
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(
        v -> {
          rediscover(true);
          done.complete(null);
        });
    done.join();
  }

  private void rediscover(boolean force) {
    Map<Path, Long> stamps = new HashMap<>();
    for (PullConfig.ScrapeJob job : config.jobs()) {
      for (PullConfig.FileSd sd : job.fileSdConfigs()) {
        for (String f : sd.files()) {
          Path p = Path.of(f);
          try {
            stamps.put(p, Files.exists(p) ? Files.getLastModifiedTime(p).toMillis() : -1L);
          } catch (java.io.IOException e) {
            stamps.put(p, -2L);
          }
        }
      }
    }
    if (!force && stamps.equals(fileStamps) && !hasGlobs()) {
      return;
    }
    fileStamps = stamps;
    discovered = discovery.discover(config);
    reconcile();
  }

  private boolean hasGlobs() {
    return config.jobs().stream()
        .flatMap(j -> j.fileSdConfigs().stream())
        .flatMap(sd -> sd.files().stream())
        .anyMatch(f -> f.contains("*") || f.contains("?"));
  }

  /** Starts, keeps, moves and stops loops so that they match the owned discovered targets. */
  private void reconcile() {
    Map<String, Long> perJob = new HashMap<>();
    for (Target t : discovered.targets()) {
      perJob.merge(t.job().jobName(), 1L, Long::sum);
    }
    Map<String, String> overLimit = new HashMap<>();
    for (PullConfig.ScrapeJob job : config.jobs()) {
      long n = perJob.getOrDefault(job.jobName(), 0L);
      if (job.targetLimit() > 0 && n > job.targetLimit()) {
        overLimit.put(
            job.jobName(),
            "target_limit exceeded (number of targets: "
                + n
                + ", limit: "
                + job.targetLimit()
                + ")");
        LOG.warn(
            "Job {}: {}; its targets are marked failed (up 0) without being scraped",
            job.jobName(),
            overLimit.get(job.jobName()));
      }
    }
    Map<String, Target> wanted = new LinkedHashMap<>();
    for (Target t : discovered.targets()) {
      wanted.put(t.key(), t);
    }
    boolean coordinated = coordinator != null;
    for (String key : new ArrayList<>(loops.keySet())) {
      ScrapeLoop loop = loops.get(key);
      Target next = wanted.get(key);
      if (next == null) {
        loops.remove(key);
        loop.stop(true);
      } else if (coordinated && !ownedShards.contains(coordinator.shardOf(key))) {
        loops.remove(key);
        loop.stop(false);
      } else if (!next.equals(loop.target())) {
        ScrapeLoop replacement = newLoop(next);
        replacement.adopt(loop);
        loop.stop(false);
        loops.put(key, replacement);
        replacement.start();
      }
    }
    for (Target t : wanted.values()) {
      ScrapeLoop running = loops.get(t.key());
      if (running != null) {
        running.failWith(overLimit.get(t.job().jobName()));
        continue;
      }
      if (coordinated && !ownedShards.contains(coordinator.shardOf(t.key()))) {
        continue;
      }
      ScrapeLoop loop = newLoop(t);
      loop.failWith(overLimit.get(t.job().jobName()));
      loops.put(t.key(), loop);
      loop.start();
    }
    closeUnusedClients();
  }

  /**
   * Closes the HTTP clients no loop uses any more (a job removed, or its TLS settings or timeout
   * changed by a reload). A stopped loop's request still in flight on one fails and is ignored.
   */
  private void closeUnusedClients() {
    Set<String> used = new HashSet<>();
    for (ScrapeLoop loop : loops.values()) {
      used.add(clientKey(loop.target()));
    }
    clients
        .entrySet()
        .removeIf(
            e -> {
              if (used.contains(e.getKey())) {
                return false;
              }
              e.getValue().close();
              return true;
            });
  }

  /** The number of HTTP clients open (for tests). */
  int httpClients() {
    CompletableFuture<Integer> n = new CompletableFuture<>();
    context.runOnContext(v -> n.complete(clients.size()));
    return n.join();
  }

  /** One client per job, scheme, TLS settings and timeout: everything its options depend on. */
  private static String clientKey(Target t) {
    PullConfig.ScrapeJob job = t.job();
    return job.jobName()
        + "|"
        + t.url().startsWith("https:")
        + "|"
        + job.tls()
        + "|"
        + job.scrapeTimeout();
  }

  private ScrapeLoop newLoop(Target t) {
    return new ScrapeLoop(
        vertx,
        client(t),
        t,
        publisher,
        config.externalLabels(),
        settings.replica(),
        seriesKey,
        settings.timestamps(),
        metrics,
        this::withPermit,
        java.time.Clock.systemUTC());
  }

  private void withPermit(Consumer<Runnable> task) {
    if (freePermits > 0) {
      freePermits--;
      task.accept(this::release);
    } else {
      waiting.add(task);
    }
  }

  private void release() {
    context.runOnContext(
        v -> {
          Consumer<Runnable> next = waiting.poll();
          if (next != null) {
            next.accept(this::release);
          } else {
            freePermits++;
          }
        });
  }

  private HttpClient client(Target t) {
    boolean https = t.url().startsWith("https:");
    PullConfig.ScrapeJob job = t.job();
    return clients.computeIfAbsent(
        clientKey(t),
        k -> {
          HttpClientOptions options =
              new HttpClientOptions()
                  .setDecompressionSupported(true)
                  .setConnectTimeout(
                      (int) Math.min(Integer.MAX_VALUE, job.scrapeTimeout().toMillis()))
                  .setKeepAlive(true);
          if (https) {
            options.setSsl(true);
            PullConfig.Tls tls = job.tls();
            if (tls != null) {
              if (tls.insecureSkipVerify()) {
                options.setTrustAll(true).setVerifyHost(false);
              }
              if (tls.caFile() != null) {
                options.setTrustOptions(new PemTrustOptions().addCertPath(tls.caFile().toString()));
              }
              if (tls.certFile() != null) {
                options.setKeyCertOptions(
                    new PemKeyCertOptions()
                        .setCertPath(tls.certFile().toString())
                        .setKeyPath(tls.keyFile().toString()));
              }
            }
          }
          // Many targets may share one address (a blackbox exporter, a federation endpoint): the
          // pool per address allows as many connections as scrapes may be in flight.
          return vertx.createHttpClient(
              options, new PoolOptions().setHttp1MaxSize(settings.maxConcurrentScrapes()));
        });
  }

  private int count(String state) {
    int n = 0;
    for (ScrapeLoop loop : List.copyOf(loops.values())) {
      if (loop.status().health().equals(state)) {
        n++;
      }
    }
    return n;
  }

  /** The server's handler: the ops endpoints, then the scraper's own. */
  private io.vertx.core.Handler<HttpServerRequest> requests(PrometheusMeterRegistry meters) {
    OpsRoutes ops = OpsRoutes.of(meters::scrape, OpsRoutes.Readiness.of(this::ready), "Ready");
    return req -> {
      if (!ops.handle(req)) {
        handle(req);
      }
    };
  }

  private void handle(HttpServerRequest req) {
    switch (req.path()) {
      case "/-/reload" -> {
        if (!req.method().name().equals("POST") && !req.method().name().equals("PUT")) {
          req.response().setStatusCode(405).end("Only POST or PUT requests allowed\n");
          return;
        }
        vertx
            .executeBlocking(
                () -> {
                  reload();
                  return null;
                },
                false)
            .onComplete(
                ar -> {
                  if (ar.succeeded()) {
                    req.response().end();
                  } else {
                    req.response()
                        .setStatusCode(500)
                        .end("failed to reload config: " + ar.cause().getMessage() + "\n");
                  }
                });
      }
      case "/api/v1/targets" ->
          context.runOnContext(
              v -> req.response().putHeader("Content-Type", "application/json").end(targetsJson()));
      default -> req.response().setStatusCode(404).end("Not found\n");
    }
  }

  /** {@code /api/v1/targets}: this instance's targets, in Prometheus's JSON shape. */
  private String targetsJson() {
    ObjectNode root = JSON.createObjectNode().put("status", "success");
    ObjectNode data = root.putObject("data");
    ArrayNode active = data.putArray("activeTargets");
    for (ScrapeLoop loop : loops.values()) {
      Target t = loop.target();
      ScrapeLoop.Status s = loop.status();
      ObjectNode o = active.addObject();
      ObjectNode discoveredLabels = o.putObject("discoveredLabels");
      t.discoveredLabels().forEach(discoveredLabels::put);
      ObjectNode labels = o.putObject("labels");
      t.labels().forEach(labels::put);
      o.put("scrapePool", t.job().jobName());
      o.put("scrapeUrl", t.url());
      o.put("globalUrl", t.url());
      o.put("lastError", s.lastError());
      o.put(
          "lastScrape",
          s.lastScrapeMs() == 0
              ? "0001-01-01T00:00:00Z"
              : Instant.ofEpochMilli(s.lastScrapeMs()).toString());
      o.put("lastScrapeDuration", s.lastDurationSeconds());
      o.put("health", s.health());
      o.put("scrapeInterval", Target.PromDurationText.of(t.interval()));
      o.put("scrapeTimeout", Target.PromDurationText.of(t.timeout()));
    }
    ArrayNode dropped = data.putArray("droppedTargets");
    for (Discovery.Dropped d : discovered.dropped()) {
      ObjectNode o = dropped.addObject();
      ObjectNode labels = o.putObject("discoveredLabels");
      d.discoveredLabels().forEach(labels::put);
      o.put("scrapePool", d.job());
      o.put("reason", d.reason());
    }
    return root.toString();
  }

  /** Stops every loop with stale markers (this instance is going away for good). */
  public CompletableFuture<Void> stopAll(boolean stale) {
    CompletableFuture<CompletableFuture<Void>> all = new CompletableFuture<>();
    context.runOnContext(
        v -> {
          List<CompletableFuture<Void>> stops = new ArrayList<>();
          for (ScrapeLoop loop : loops.values()) {
            stops.add(loop.stop(stale));
          }
          loops.clear();
          all.complete(CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)));
        });
    return all.thenCompose(f -> f);
  }

  /**
   * Stops scraping. Targets are not marked stale: with coordination another instance takes them
   * over; alone, a restart continues them.
   */
  @Override
  public void close() {
    if (coordinator != null) {
      coordinator.close();
    }
    try {
      stopAll(false).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("Stopping loops: {}", e.toString());
    }
    stage.close();
  }

  /** Closes every scrape client, on the scraper's context where they live. */
  private io.vertx.core.Future<?> closeClients() {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    context.runOnContext(
        v -> {
          clients.values().forEach(HttpClient::close);
          clients.clear();
          done.complete();
        });
    return done.future();
  }
}
