package dev.metricspipeline.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operations endpoints every server of the pipeline answers, written once: {@code GET /metrics}
 * (the Prometheus text exposition of the process's meters), {@code GET /-/healthy} ({@code OK}: the
 * process answers) and {@code GET /-/ready} (200 with the server's ready body, or 503 with the
 * reason it is not). HEAD is answered like GET, without a body; other methods and paths are left to
 * the server.
 */
public final class OpsRoutes {

  /** Why the server is not ready, or null when it is. */
  @FunctionalInterface
  public interface Readiness {
    String notReadyBecause();

    /** Ready when {@code ready} says so; else "Not ready". */
    static Readiness of(BooleanSupplier ready) {
      return () -> ready.getAsBoolean() ? null : "Not ready";
    }
  }

  /** The exposition format's content type, as Prometheus asks for it. */
  public static final String EXPOSITION = "text/plain; version=0.0.4; charset=utf-8";

  private final Supplier<String> metrics;
  private final Readiness readiness;
  private final String readyBody;

  private OpsRoutes(Supplier<String> metrics, Readiness readiness, String readyBody) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.readiness = Objects.requireNonNull(readiness, "readiness");
    this.readyBody = Objects.requireNonNull(readyBody, "readyBody");
  }

  /**
   * @param metrics the exposition of the process's meters, made when {@code /metrics} is asked
   * @param readyBody what {@code /-/ready} answers with 200, e.g. {@code Ready} (a newline is
   *     added)
   */
  public static OpsRoutes of(Supplier<String> metrics, Readiness readiness, String readyBody) {
    return new OpsRoutes(metrics, readiness, readyBody);
  }

  /**
   * Puts the three in front of every other route of {@code router} (call it before adding them):
   * anything else goes on to the router's own routes.
   */
  public void mountFirst(Router router) {
    router
        .route()
        .handler(
            ctx -> {
              if (!handle(ctx.request())) {
                ctx.next();
              }
            });
  }

  /** Answers {@code request} if it is one of the three; returns whether it did. */
  public boolean handle(HttpServerRequest request) {
    HttpMethod method = request.method();
    if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
      return false;
    }
    switch (request.path()) {
      case "/metrics" ->
          request.response().putHeader("Content-Type", EXPOSITION).end(metrics.get());
      case "/-/healthy" -> request.response().end("OK\n");
      case "/-/ready" -> {
        String why = readiness.notReadyBecause();
        if (why == null) {
          request.response().end(readyBody + "\n");
        } else {
          request.response().setStatusCode(503).end(why + "\n");
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }
}
