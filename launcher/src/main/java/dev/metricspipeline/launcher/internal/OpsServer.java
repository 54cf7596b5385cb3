package dev.metricspipeline.launcher.internal;

import dev.metricspipeline.http.OpsRoutes;
import dev.metricspipeline.http.StageVertx;
import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.http.WebServers;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations endpoints of a stage that has no HTTP API of its own (the standalone streams
 * stage): {@code GET /metrics} (Prometheus text), {@code /-/healthy} (200 while the process runs),
 * {@code /-/ready} (200 when the stage says it is ready, else 503).
 */
public final class OpsServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);

  private final StageVertx vertx;
  private final HttpServer server;

  private OpsServer(StageVertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  /** Starts listening; port 0 picks a free one. */
  public static OpsServer start(
      WebConfig web,
      String host,
      int port,
      PrometheusMeterRegistry registry,
      BooleanSupplier ready) {
    return start(web, host, port, registry, ready, null);
  }

  /** As above, on the process's shared Vert.x (left open on close); null for one of its own. */
  public static OpsServer start(
      WebConfig web,
      String host,
      int port,
      PrometheusMeterRegistry registry,
      BooleanSupplier ready,
      Vertx shared) {
    StageVertx stage = StageVertx.of(shared);
    Vertx vertx = stage.get();
    OpsRoutes ops = OpsRoutes.of(registry::scrape, OpsRoutes.Readiness.of(ready), "Ready");
    try {
      HttpServer server =
          WebServers.listen(
                  vertx,
                  web,
                  host,
                  port,
                  req -> {
                    if (!ops.handle(req)) {
                      req.response().setStatusCode(404).end("Not found\n");
                    }
                  })
              .await(30, TimeUnit.SECONDS);
      LOG.info(
          "Operations endpoints on {}/metrics", WebServers.url(web, host, server.actualPort()));
      stage.onClose(server::close);
      return new OpsServer(stage, server);
    } catch (Exception e) {
      stage.close();
      throw new IllegalStateException(
          "cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    vertx.close();
  }
}
