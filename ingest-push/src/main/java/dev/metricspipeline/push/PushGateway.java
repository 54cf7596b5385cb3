package dev.metricspipeline.push;

import dev.metricspipeline.http.StageVertx;
import dev.metricspipeline.http.WebServers;
import dev.metricspipeline.push.internal.BodyWriteService;
import dev.metricspipeline.push.internal.GroupState;
import dev.metricspipeline.push.internal.GroupStore;
import dev.metricspipeline.push.internal.MetadataStore;
import dev.metricspipeline.push.internal.OtlpGrpc;
import dev.metricspipeline.push.internal.OtlpService;
import dev.metricspipeline.push.internal.PushRoutes;
import dev.metricspipeline.push.internal.PushService;
import dev.metricspipeline.push.internal.TopicMirror;
import dev.metricspipeline.runtime.StageHealth;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.SeriesKey;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pushgateway-compatible HTTP endpoint that writes to Kafka instead of keeping metrics for a
 * scrape: {@code PUT}, {@code POST} and {@code DELETE /metrics/job/<job>{/<label>/<value>}} with
 * the text format (any content type, curl's form type included) or OpenMetrics, {@code GET
 * /api/v1/metrics}, and its own {@code /metrics}, {@code /-/healthy}, {@code /-/ready}. Beside it,
 * whole-body receivers: remote_write 1.0 ({@code /api/v1/write}), Influx line protocol, and
 * OpenTelemetry's OTLP/HTTP ({@code POST /v1/metrics}) and OTLP/gRPC (on {@link
 * OtlpConfig#grpcPort()}, 4317 by default).
 *
 * <p>A push is answered 200 (DELETE: 202) only after Kafka committed it; 400/413/415 when its
 * content is refused (nothing of it is published); 503 with {@code Retry-After} when Kafka cannot
 * take it. Group contents live in the compacted topic {@link PushGatewayConfig#groupsTopic()}, so
 * they survive restarts and are shared by every instance.
 */
public final class PushGateway implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PushGateway.class);

  private final StageVertx vertx;
  private final HttpServer server;
  private final HttpServer grpc;
  private final AutoCloseable groupTopic;
  private final String url;

  private PushGateway(
      StageVertx vertx, HttpServer server, HttpServer grpc, AutoCloseable groupTopic, String url) {
    this.vertx = vertx;
    this.server = server;
    this.grpc = grpc;
    this.groupTopic = groupTopic;
    this.url = url;
  }

  /**
   * Reads the group topic and starts serving.
   *
   * @param publisher the producer of metrics.samples (also writes group state in the same
   *     transaction)
   * @param kafka the connection for reading the group and metadata topics (the publisher's)
   */
  public static PushGateway start(
      PushGatewayConfig config, MetricsPublisher publisher, KafkaConnection kafka) {
    return start(config, publisher, kafka, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /**
   * Reads the group topic and starts serving, with its metrics in a given registry, which its
   * {@code /metrics} serves: in the all-in-one {@code run}, every stage's metrics are in one
   * registry.
   */
  public static PushGateway start(
      PushGatewayConfig config,
      MetricsPublisher publisher,
      KafkaConnection kafka,
      PrometheusMeterRegistry registry) {
    return start(config, publisher, kafka, registry, null);
  }

  /**
   * As {@link #start(PushGatewayConfig, MetricsPublisher, KafkaConnection,
   * PrometheusMeterRegistry)}, on a Vert.x the process shares ({@code run}: one set of event loops
   * and workers for every stage), which closing the gateway leaves open; null for one of its own.
   */
  public static PushGateway start(
      PushGatewayConfig config,
      MetricsPublisher publisher,
      KafkaConnection kafka,
      PrometheusMeterRegistry registry,
      Vertx shared) {
    Gauge.builder("push_publisher_queued_samples", publisher, MetricsPublisher::queuedSamples)
        .description("Samples accepted and waiting for a Kafka commit")
        .register(registry);
    Gauge.builder(
            "push_publisher_transactions_failed", publisher, MetricsPublisher::transactionsFailed)
        .description("Kafka transactions that failed")
        .register(registry);
    Gauge.builder(
            "push_publisher_last_commit_seconds",
            publisher,
            p -> p.lastCommitLatency().toNanos() / 1e9)
        .description("Duration of the last Kafka commit")
        .register(registry);
    GroupStore store = new GroupStore(config.memoSeries());
    TopicMirror topic =
        TopicMirror.groups(
            kafka,
            config.groupsTopic(),
            store,
            publisher.seriesKey(),
            StageHealth.of("push-groups").bindTo(registry));
    Gauge.builder("push_groups", store, s -> s.all().size())
        .description("Live push groups")
        .register(registry);
    Gauge.builder("push_memo_series", store, GroupStore::memoized)
        .description(
            "Series the push groups' memos hold on this instance (bound: run --push-memo-series,"
                + " push-gateway --memo-series)")
        .register(registry);
    MetadataStore metadata = new MetadataStore();
    TopicMirror metadataTopic;
    try {
      metadataTopic =
          TopicMirror.open(
              kafka,
              config.metadataTopic(),
              StageHealth.of("push-metadata").bindTo(registry),
              "metric metadata",
              metadata::apply);
    } catch (RuntimeException e) {
      closeQuietly(topic);
      throw e;
    }
    return start(
        config,
        SampleWriter.of(publisher),
        store,
        metadata,
        () -> {
          closeQuietly(metadataTopic);
          topic.close();
        },
        publisher.seriesKey(),
        registry,
        Clock.systemUTC(),
        StageVertx.of(shared));
  }

  /**
   * Starts on a given writer and store: for this package's tests.
   *
   * @param groupTopic the store's feed, closed with the gateway
   */
  static PushGateway start(
      PushGatewayConfig config,
      SampleWriter writer,
      GroupStore store,
      AutoCloseable groupTopic,
      SeriesKey seriesKey,
      PrometheusMeterRegistry registry,
      Clock clock) {
    return start(
        config,
        writer,
        store,
        new MetadataStore(),
        groupTopic,
        seriesKey,
        registry,
        clock,
        StageVertx.of(null));
  }

  private static PushGateway start(
      PushGatewayConfig config,
      SampleWriter writer,
      GroupStore store,
      MetadataStore metadata,
      AutoCloseable groupTopic,
      SeriesKey seriesKey,
      PrometheusMeterRegistry registry,
      Clock clock,
      StageVertx stage) {
    Vertx vertx = stage.get();
    PushService service = new PushService(config, store, writer, seriesKey, clock, registry);
    BodyWriteService bodies =
        new BodyWriteService(config, writer, clock, registry, metadata, seriesKey);
    OtlpService otlp = new OtlpService(config.otlp(), bodies, clock, registry);
    try {
      HttpServer server =
          WebServers.listen(
                  vertx,
                  config.web(),
                  config.host(),
                  config.port(),
                  new PushRoutes(vertx, config, service, bodies, otlp, store, registry).router())
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      stage.onClose(server::close);
      HttpServer grpc = null;
      if (config.otlp().grpcPort() != -1) {
        grpc =
            WebServers.listenHttp2(
                    vertx,
                    config.web(),
                    config.host(),
                    config.otlp().grpcPort(),
                    OtlpGrpc.server(vertx, otlp, config.maxDecompressedBytes(), registry))
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        stage.onClose(grpc::close);
      }
      String url = WebServers.url(config.web(), config.host(), server.actualPort());
      config
          .groupTtl()
          .ifPresent(ttl -> stage.cancelOnClose(expireGroups(vertx, service, store, ttl, clock)));
      LOG.info(
          "Push gateway listening on {}:{} (groups in {}){}",
          config.host(),
          server.actualPort(),
          config.groupsTopic(),
          grpc == null ? "" : ", OTLP/gRPC on port " + grpc.actualPort());
      return new PushGateway(stage, server, grpc, groupTopic, url);
    } catch (ExecutionException | TimeoutException e) {
      stage.close();
      closeQuietly(groupTopic);
      throw new IllegalStateException(
          "push gateway cannot listen on "
              + config.host()
              + ":"
              + config.port()
              + ": "
              + e.getMessage(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stage.close();
      closeQuietly(groupTopic);
      throw new IllegalStateException("interrupted while starting the push gateway", e);
    }
  }

  private static long expireGroups(
      Vertx vertx, PushService service, GroupStore store, java.time.Duration ttl, Clock clock) {
    long every = Math.max(1000, ttl.toMillis() / 10);
    return vertx.setPeriodic(
        every,
        id -> {
          long now = clock.millis();
          for (GroupState group : store.all()) {
            if (group.lastPushMs() + ttl.toMillis() < now) {
              LOG.info(
                  "Push group {{{}}} not pushed for {}: deleting it", group.key().canonical(), ttl);
              service
                  .push(
                      new PushService.PushRequest(
                          PushService.Method.DELETE,
                          group.key(),
                          new byte[0],
                          null,
                          "TTL",
                          Optional.of("ttl-" + group.version())))
                  .whenComplete(
                      (ok, e) -> {
                        if (e != null) {
                          LOG.warn(
                              "Expiring push group {{{}}} failed; will retry: {}",
                              group.key().canonical(),
                              e.toString());
                        }
                      });
            }
          }
        });
  }

  /** The base URL, e.g. {@code http://127.0.0.1:9091}. */
  public String url() {
    return url;
  }

  public int port() {
    return server.actualPort();
  }

  /** The OTLP/gRPC port, or -1 when that receiver is off. */
  public int grpcPort() {
    return grpc == null ? -1 : grpc.actualPort();
  }

  @Override
  public void close() {
    try {
      vertx.close();
    } finally {
      closeQuietly(groupTopic);
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.warn("Closing {} failed: {}", closeable, e.toString());
    }
  }
}
