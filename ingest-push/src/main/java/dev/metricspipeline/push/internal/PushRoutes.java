package dev.metricspipeline.push.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metricspipeline.formats.InfluxLineParser;
import dev.metricspipeline.formats.ProtobufExpositionParser;
import dev.metricspipeline.http.OpsRoutes;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.runtime.StageHealth;
import dev.metricspipeline.schemas.PublishException;
import dev.metricspipeline.schemas.avro.Origin;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the gateway. Status codes carry retry meaning: 2xx only once durable; 400, 413
 * and 415 for what the client sent (never worth retrying); 503 with {@code Retry-After} when Kafka
 * cannot take the request (retry later).
 */
public final class PushRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(PushRoutes.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PUSH_PREFIX = "/metrics/";

  private final Vertx vertx;
  private final PushGatewayConfig config;
  private final PushService service;
  private final BodyWriteService bodies;
  private final OtlpService otlp;
  private final GroupStore store;
  private final PrometheusMeterRegistry registry;
  private final AtomicBoolean kafkaOk = new AtomicBoolean(true);

  public PushRoutes(
      Vertx vertx,
      PushGatewayConfig config,
      PushService service,
      BodyWriteService bodies,
      OtlpService otlp,
      GroupStore store,
      PrometheusMeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.service = service;
    this.bodies = bodies;
    this.otlp = otlp;
    this.store = store;
    this.registry = registry;
  }

  public Router router() {
    Router router = Router.router(vertx);
    // The Pushgateway answers its readiness with OK, so does this gateway.
    OpsRoutes.of(registry::scrape, this::notReadyBecause, "OK").mountFirst(router);
    router.put("/metrics/job*").handler(ctx -> push(ctx, PushService.Method.PUT));
    router.post("/metrics/job*").handler(ctx -> push(ctx, PushService.Method.POST));
    router.delete("/metrics/job*").handler(ctx -> push(ctx, PushService.Method.DELETE));
    router.post("/api/v1/write").handler(this::remoteWrite);
    router.post("/write").handler(this::influx);
    router.post("/api/v2/write").handler(this::influx);
    router.post("/v1/metrics").handler(this::otlpHttp);
    router.get("/api/v1/metrics").handler(this::listGroups);
    return router;
  }

  /** Kafka refusing pushes, or any stage of the process failed; null when ready. */
  private String notReadyBecause() {
    List<String> failed = StageHealth.failedStages(registry);
    if (!kafkaOk.get()) {
      return "Kafka is not taking pushes";
    }
    return failed.isEmpty() ? null : "Not ready: " + String.join(", ", failed) + " failed";
  }

  private void push(RoutingContext ctx, PushService.Method method) {
    HttpServerRequest request = ctx.request();
    String rawPath = request.path();
    GroupingKey key;
    try {
      key = GroupingKey.parse(rawPath.substring(PUSH_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      refuse(ctx, method.name(), rawPath, new PushRejected(400, "grouping", e.getMessage()));
      return;
    }
    String contentType = request.getHeader("Content-Type");
    if (contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("application/vnd.google.protobuf")
        && !ProtobufExpositionParser.handles(contentType)) {
      refuse(
          ctx,
          method.name(),
          key.canonical(),
          new PushRejected(
              415,
              "content-type",
              "unsupported protobuf content type \""
                  + contentType
                  + "\"; expected proto=io.prometheus.client.MetricFamily; encoding=delimited"));
      return;
    }
    String endpoint = method + " " + rawPath;
    Optional<String> idempotencyKey =
        Optional.ofNullable(request.getHeader("Idempotency-Key")).filter(s -> !s.isBlank());
    String encoding = request.getHeader("Content-Encoding");
    withBody(
        ctx,
        method.name(),
        key.canonical(),
        method == PushService.Method.DELETE ? 202 : 200,
        body ->
            service.push(
                new PushService.PushRequest(
                    method, key, decode(body, encoding), contentType, endpoint, idempotencyKey)));
  }

  /**
   * Prometheus remote_write, 1.0 ({@code prometheus.WriteRequest}, the default) or 2.0 ({@code
   * Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request}): snappy-compressed
   * protobuf, 204 once committed, with the {@code X-Prometheus-Remote-Write-*-Written} headers 2.0
   * requires (sent for 1.0 too).
   */
  private void remoteWrite(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String contentType = request.getHeader("Content-Type");
    String encoding = request.getHeader("Content-Encoding");
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    String proto = "prometheus.writerequest";
    for (String part : type.split(";")) {
      String p = part.trim();
      if (p.startsWith("proto=")) {
        proto = p.substring("proto=".length()).trim();
      }
    }
    boolean v2 = proto.equals("io.prometheus.write.v2.request");
    String refusal = null;
    if (!type.startsWith("application/x-protobuf")) {
      refusal = "remote_write needs Content-Type application/x-protobuf, got " + contentType;
    } else if (!v2 && !proto.equals("prometheus.writerequest")) {
      refusal =
          "remote_write message "
              + proto
              + " is not supported; send prometheus.WriteRequest (1.0) or"
              + " io.prometheus.write.v2.Request (2.0)";
    } else if (encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("snappy")) {
      refusal = "remote_write bodies are snappy-compressed; got Content-Encoding " + encoding;
    }
    if (refusal != null) {
      refuse(ctx, "POST", "remote_write", new PushRejected(415, "content-type", refusal));
      return;
    }
    withBody(
        ctx,
        "POST",
        "remote_write",
        body ->
            v2
                ? bodies.remoteWriteV2(body, "POST /api/v1/write")
                : bodies
                    .remoteWrite(body, "POST /api/v1/write")
                    .thenApply(n -> new BodyWriteService.Written(n, 0, 0)),
        (written, error) -> {
          if (error == null) {
            ctx.response()
                .putHeader("X-Prometheus-Remote-Write-Samples-Written", "" + written.samples())
                .putHeader(
                    "X-Prometheus-Remote-Write-Histograms-Written", "" + written.histograms())
                .putHeader("X-Prometheus-Remote-Write-Exemplars-Written", "" + written.exemplars());
          }
          answer(ctx, "POST", "remote_write", 204, error);
        });
  }

  /**
   * Influx line protocol, v1 ({@code /write}) and v2 ({@code /api/v2/write}): 204 once committed.
   * The database, bucket and org parameters are accepted and ignored: every sample goes to the same
   * topic.
   */
  private void influx(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    InfluxLineParser parser;
    try {
      parser = InfluxLineParser.withPrecision(request.getParam("precision"));
    } catch (IllegalArgumentException e) {
      refuse(ctx, "POST", "influx", new PushRejected(400, "parse", e.getMessage()));
      return;
    }
    String encoding = request.getHeader("Content-Encoding");
    String endpoint = "POST " + request.path();
    withBody(
        ctx,
        "POST",
        "influx",
        204,
        body ->
            bodies.write(parser, "influx", Origin.PUSH_INFLUX, decode(body, encoding), endpoint));
  }

  /**
   * OTLP/HTTP metrics: protobuf ({@code application/x-protobuf}) or JSON ({@code
   * application/json}), gzip or not. Answered 200 with an {@code ExportMetricsServiceResponse} in
   * the request's encoding once committed (with a partial success when points were refused); 400,
   * 413 and 415 with a {@code google.rpc.Status} for what the client sent; 503 with {@code
   * Retry-After} when Kafka cannot take it, which OTLP exporters retry.
   */
  private void otlpHttp(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String contentType = request.getHeader("Content-Type");
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    boolean json = type.startsWith("application/json");
    if (!json && !type.startsWith("application/x-protobuf")) {
      otlpRefuse(
          ctx,
          false,
          new PushRejected(
              415,
              "content-type",
              "OTLP/HTTP needs Content-Type application/x-protobuf or application/json, got "
                  + contentType));
      return;
    }
    String encoding = request.getHeader("Content-Encoding");
    withBody(
        ctx,
        "POST",
        "otlp",
        body -> otlp.export(decode(body, encoding), json, "POST /v1/metrics"),
        (response, error) -> {
          if (error == null) {
            kafkaOk.set(true);
            replyBytes(
                ctx,
                "POST",
                200,
                json ? "application/json" : "application/x-protobuf",
                json ? OtlpStatus.json(response) : response.toByteArray());
            return;
          }
          Throwable cause = PushRejected.unwrap(error);
          if (cause instanceof PushRejected rejected) {
            otlpRefuse(ctx, json, rejected);
          } else if (cause instanceof PublishException publish && publish.isRetriable()) {
            kafkaOk.set(false);
            service.rejected("unavailable", "otlp", publish.getMessage());
            ctx.response()
                .putHeader(
                    "Retry-After", Long.toString(Math.max(1, config.retryAfter().toSeconds())));
            otlpStatus(ctx, json, 503, 14, "not stored, retry later: " + publish.getMessage());
          } else {
            LOG.error("OTLP request failed", cause);
            otlpStatus(ctx, json, 500, 13, "not stored: " + cause);
          }
        });
  }

  private void otlpRefuse(RoutingContext ctx, boolean json, PushRejected rejected) {
    service.rejected(rejected.reason(), "otlp", rejected.getMessage());
    if (rejected.status() == 413) {
      ctx.response().putHeader("Connection", "close");
    }
    otlpStatus(ctx, json, rejected.status(), 3, rejected.getMessage());
  }

  private void otlpStatus(RoutingContext ctx, boolean json, int status, int code, String message) {
    replyBytes(
        ctx,
        "POST",
        status,
        json ? "application/json" : "application/x-protobuf",
        json ? OtlpStatus.statusJson(code, message) : OtlpStatus.statusProtobuf(code, message));
  }

  /**
   * Reads the body within the size limit (413 as soon as it is exceeded), runs {@code work} on a
   * worker thread, and answers on the event loop once its future completes.
   */
  private void withBody(
      RoutingContext ctx,
      String method,
      String group,
      int success,
      Function<byte[], CompletableFuture<?>> work) {
    this.<Object>withBody(
        ctx,
        method,
        group,
        body -> work.apply(body).thenApply(outcome -> (Object) outcome),
        (outcome, error) -> answer(ctx, method, group, success, error));
  }

  /**
   * Reads the body within the size limit (413 as soon as it is exceeded) into one array ({@link
   * RequestBody}: sized by {@code Content-Length} when the request has one), runs {@code work} on a
   * worker thread, and calls {@code done} on the event loop with its outcome.
   */
  private <T> void withBody(
      RoutingContext ctx,
      String method,
      String group,
      Function<byte[], CompletableFuture<T>> work,
      BiConsumer<T, Throwable> done) {
    HttpServerRequest request = ctx.request();
    String length = request.getHeader("Content-Length");
    long declared = length == null ? -1 : parseLong(length);
    if (declared > config.maxBodyBytes()) {
      tooLarge(
          ctx,
          method,
          group,
          "the body of " + length + " bytes is larger than the limit of " + config.maxBodyBytes());
      return;
    }
    RequestBody body = new RequestBody(declared);
    AtomicBoolean refused = new AtomicBoolean();
    request.handler(
        chunk -> {
          if (refused.get()) {
            return;
          }
          if (body.length() + chunk.length() > config.maxBodyBytes()) {
            refused.set(true);
            tooLarge(
                ctx,
                method,
                group,
                "the body is larger than the limit of " + config.maxBodyBytes() + " bytes");
            return;
          }
          body.append(chunk);
        });
    request.exceptionHandler(e -> LOG.debug("Body of {} failed: {}", request.path(), e.toString()));
    request.endHandler(
        v -> {
          if (refused.get()) {
            return;
          }
          Context context = vertx.getOrCreateContext();
          vertx
              .executeBlocking(() -> work.apply(body.bytes()), false)
              .onSuccess(
                  future ->
                      future.whenComplete(
                          (outcome, error) ->
                              context.runOnContext(x -> done.accept(outcome, error))))
              .onFailure(error -> done.accept(null, error));
        });
    request.resume();
  }

  private byte[] decode(byte[] body, String encoding) {
    return ContentEncoding.decode(body, encoding, config.maxDecompressedBytes());
  }

  private void answer(
      RoutingContext ctx, String method, String group, int success, Throwable error) {
    try {
      if (error == null) {
        kafkaOk.set(true);
        reply(ctx, method, success, null);
        return;
      }
      Throwable cause = PushRejected.unwrap(error);
      if (cause instanceof PushRejected rejected) {
        refuse(ctx, method, group, rejected);
      } else if (cause instanceof PublishException publish && publish.isRetriable()) {
        kafkaOk.set(false);
        service.rejected("unavailable", group, publish.getMessage());
        ctx.response()
            .putHeader("Retry-After", Long.toString(Math.max(1, config.retryAfter().toSeconds())));
        reply(ctx, method, 503, "not stored, retry later: " + publish.getMessage());
      } else {
        LOG.error("Request for {{{}}} failed", group, cause);
        reply(ctx, method, 500, "not stored: " + cause);
      }
    } catch (RuntimeException e) {
      LOG.error("Answering a request for {{{}}} failed", group, e);
      if (!ctx.response().ended()) {
        ctx.response().setStatusCode(500).end("internal error: " + e + "\n");
      }
    }
  }

  private void refuse(RoutingContext ctx, String method, String group, PushRejected rejected) {
    service.rejected(rejected.reason(), group, rejected.getMessage());
    reply(ctx, method, rejected.status(), rejected.getMessage());
  }

  private void tooLarge(RoutingContext ctx, String method, String group, String message) {
    ctx.response().putHeader("Connection", "close");
    refuse(ctx, method, group, new PushRejected(413, "limit", message));
  }

  private void reply(RoutingContext ctx, String method, int status, String message) {
    replyBytes(
        ctx,
        method,
        status,
        "text/plain; charset=utf-8",
        (message == null ? "" : message + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private void replyBytes(
      RoutingContext ctx, String method, int status, String contentType, byte[] body) {
    String path = ctx.request().path();
    Counter.builder("push_http_requests")
        .description("Requests by path, method and status code")
        .tag("path", path.startsWith("/metrics/job") ? "/metrics/job" : path)
        .tag("method", method)
        .tag("code", Integer.toString(status))
        .register((MeterRegistry) registry)
        .increment();
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", contentType);
    ctx.response().end(Buffer.buffer(body));
  }

  private void listGroups(RoutingContext ctx) {
    ObjectNode root = JSON.createObjectNode().put("status", "success");
    ArrayNode data = root.putArray("data");
    for (GroupState group : store.all()) {
      ObjectNode node = data.addObject();
      ObjectNode labels = node.putObject("labels");
      group.key().labels().forEach(labels::put);
      node.put("last_push_successful", group.lastFailureMs() <= group.lastPushMs());
      Map<String, ObjectNode> families = new LinkedHashMap<>();
      String time = Instant.ofEpochMilli(group.lastPushMs()).toString();
      group
          .series()
          .values()
          .forEach(
              s -> {
                ObjectNode family =
                    families.computeIfAbsent(
                        s.family(),
                        f -> {
                          ObjectNode fam = node.putObject(f);
                          fam.put("time_stamp", time).put("type", s.type().name()).put("help", "");
                          fam.putArray("metrics");
                          return fam;
                        });
                ObjectNode metric = ((ArrayNode) family.get("metrics")).addObject();
                metric.put("name", s.name());
                ObjectNode l = metric.putObject("labels");
                s.labels().forEach(l::put);
                metric.put("value", Double.toString(s.value()));
              });
      meta(node, "push_time_seconds", group, group.lastPushMs(), time);
      meta(node, "push_failure_time_seconds", group, group.lastFailureMs(), time);
    }
    ctx.response().putHeader("Content-Type", "application/json").end(root.toString());
  }

  private static void meta(ObjectNode node, String name, GroupState group, long ms, String time) {
    ObjectNode fam = node.putObject(name);
    fam.put("time_stamp", time).put("type", "GAUGE").put("help", "");
    ObjectNode metric = fam.putArray("metrics").addObject();
    ObjectNode l = metric.putObject("labels");
    group.key().labels().forEach(l::put);
    metric.put("value", Double.toString(ms / 1000.0));
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
