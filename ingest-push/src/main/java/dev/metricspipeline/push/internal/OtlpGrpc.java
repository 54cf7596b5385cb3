package dev.metricspipeline.push.internal;

import dev.metricspipeline.schemas.PublishException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OTLP/gRPC: {@code opentelemetry.proto.collector.metrics.v1.MetricsService/Export} on Vert.x's
 * gRPC server. The request bytes are handed to {@link OtlpService} as they came, so a gRPC export
 * and an HTTP export of the same request are the same push. Status codes follow OTLP: {@code
 * INVALID_ARGUMENT} for what the client sent (not retried), {@code UNAVAILABLE} when Kafka cannot
 * take it (retried by the exporters), {@code RESOURCE_EXHAUSTED} past the size limit.
 */
public final class OtlpGrpc {

  private static final Logger LOG = LoggerFactory.getLogger(OtlpGrpc.class);

  private static final ServiceMethod<Buffer, Buffer> EXPORT =
      ServiceMethod.server(
          ServiceName.create("opentelemetry.proto.collector.metrics.v1.MetricsService"),
          "Export",
          GrpcMessageEncoder.IDENTITY,
          GrpcMessageDecoder.IDENTITY);

  private OtlpGrpc() {}

  /** The gRPC request handler to give an HTTP/2 server. */
  public static GrpcServer server(
      Vertx vertx, OtlpService otlp, long maxMessageBytes, MeterRegistry meters) {
    GrpcServer server =
        GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(maxMessageBytes));
    server.callHandler(EXPORT, request -> export(vertx, otlp, request, meters));
    return server;
  }

  private static void export(
      Vertx vertx,
      OtlpService otlp,
      GrpcServerRequest<Buffer, Buffer> request,
      MeterRegistry meters) {
    Context context = vertx.getOrCreateContext();
    request
        .last()
        .onFailure(
            e -> {
              LOG.debug("OTLP/gRPC request failed before its message: {}", e.toString());
              finish(request, GrpcStatus.INVALID_ARGUMENT, e.getMessage(), meters);
            })
        .onSuccess(
            message ->
                vertx
                    .executeBlocking(
                        () -> otlp.export(message.getBytes(), false, "gRPC MetricsService/Export"),
                        false)
                    .onFailure(e -> context.runOnContext(x -> fail(request, e, meters)))
                    .onSuccess(
                        future ->
                            future.whenComplete(
                                (response, error) ->
                                    context.runOnContext(
                                        x -> {
                                          if (error != null) {
                                            fail(request, error, meters);
                                            return;
                                          }
                                          count(meters, GrpcStatus.OK);
                                          request
                                              .response()
                                              .send(Buffer.buffer(response.toByteArray()));
                                        }))));
  }

  private static void fail(
      GrpcServerRequest<Buffer, Buffer> request, Throwable error, MeterRegistry meters) {
    Throwable cause = PushRejected.unwrap(error);
    if (cause instanceof PushRejected rejected) {
      finish(
          request,
          rejected.status() == 413 ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INVALID_ARGUMENT,
          rejected.getMessage(),
          meters);
    } else if (cause instanceof PublishException publish && publish.isRetriable()) {
      finish(
          request,
          GrpcStatus.UNAVAILABLE,
          "not stored, retry later: " + publish.getMessage(),
          meters);
    } else {
      LOG.error("OTLP/gRPC request failed", cause);
      finish(request, GrpcStatus.INTERNAL, "not stored: " + cause, meters);
    }
  }

  private static void finish(
      GrpcServerRequest<Buffer, Buffer> request,
      GrpcStatus status,
      String message,
      MeterRegistry meters) {
    count(meters, status);
    request.response().status(status).statusMessage(message).end();
  }

  private static void count(MeterRegistry meters, GrpcStatus status) {
    Counter.builder("push_grpc_requests")
        .description("OTLP/gRPC requests by status")
        .tag("code", status.name())
        .register(meters)
        .increment();
  }
}
