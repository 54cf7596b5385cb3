package dev.metricspipeline.embedded;

import dev.metricspipeline.embedded.internal.RegistryRoutes;
import dev.metricspipeline.embedded.internal.SchemaStore;
import dev.metricspipeline.http.StageVertx;
import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.http.WebServers;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Schema Registry speaking the subset of Confluent's REST API v1 that Avro serializers use
 * (register, look up by id and by schema, subjects and versions, compatibility), storing its
 * schemas in a compacted Kafka topic ({@code _schemas}, Confluent's record layout) so that ids
 * survive restarts. New schemas are checked against the subject's compatibility level (default
 * BACKWARD) with Avro's {@code SchemaCompatibility}; an incompatible one is refused with 409.
 *
 * <p>Single instance: it assumes no other registry writes the same topic. For more, run Confluent's
 * registry on the same topic (the compose stack does).
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

  /** The topic Confluent's registry uses by default, and so do we. */
  public static final String DEFAULT_TOPIC = "_schemas";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

  private final StageVertx vertx;
  private final HttpServer server;
  private final SchemaStore store;
  private final String url;

  private EmbeddedSchemaRegistry(
      StageVertx vertx, HttpServer server, SchemaStore store, String url) {
    this.vertx = vertx;
    this.server = server;
    this.store = store;
    this.url = url;
  }

  /**
   * Reads the schema topic and starts serving.
   *
   * @param bootstrapServers the Kafka cluster holding the schema topic
   * @param host the address to listen on, e.g. 127.0.0.1
   * @param port the port, or 0 for a free one
   */
  public static EmbeddedSchemaRegistry start(String bootstrapServers, String host, int port) {
    return start(bootstrapServers, DEFAULT_TOPIC, host, port);
  }

  /** As {@link #start(String, String, int)}, with another schema topic. */
  public static EmbeddedSchemaRegistry start(
      String bootstrapServers, String topic, String host, int port) {
    return start(bootstrapServers, topic, host, port, WebConfig.none());
  }

  /**
   * As {@link #start(String, String, int)}, with another schema topic and behind a web config (TLS,
   * basic auth): clients then need {@code basic.auth.user.info} and a trust store, as with
   * Confluent's registry.
   */
  public static EmbeddedSchemaRegistry start(
      String bootstrapServers, String topic, String host, int port, WebConfig web) {
    return start(bootstrapServers, topic, host, port, web, null);
  }

  /**
   * As {@link #start(String, String, String, int, WebConfig)}, on the process's shared Vert.x
   * ({@code run}), which closing the registry leaves open; null for one of its own.
   */
  public static EmbeddedSchemaRegistry start(
      String bootstrapServers, String topic, String host, int port, WebConfig web, Vertx shared) {
    SchemaStore store = SchemaStore.open(bootstrapServers, topic);
    StageVertx stage = StageVertx.of(shared);
    Vertx vertx = stage.get();
    try {
      HttpServer server =
          WebServers.listen(vertx, web, host, port, new RegistryRoutes(store).router(vertx))
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      stage.onClose(server::close);
      String url = WebServers.url(web, host, server.actualPort());
      LOG.info("Embedded Schema Registry listening at {} (topic {})", url, topic);
      return new EmbeddedSchemaRegistry(stage, server, store, url);
    } catch (ExecutionException | TimeoutException e) {
      stage.close();
      store.close();
      throw new IllegalStateException(
          "Schema Registry cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stage.close();
      store.close();
      throw new IllegalStateException("interrupted while starting the Schema Registry", e);
    }
  }

  /** The base URL, e.g. {@code http://127.0.0.1:8081}. */
  public String url() {
    return url;
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    try {
      vertx.close();
    } finally {
      store.close();
    }
  }
}
