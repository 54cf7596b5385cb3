package dev.metricspipeline.sink;

import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.sink.internal.QueryServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;

/**
 * The query API alone on a store, without the sink's Kafka consumer: for tools and benchmarks that
 * fill a store themselves. {@link RollupSink} starts the same API on its own store.
 */
public final class QueryApi implements AutoCloseable {

  private final QueryServer server;

  private QueryApi(QueryServer server) {
    this.server = server;
  }

  /**
   * Serves {@code store} on {@code host:port} (0: any free port), always ready, without a bound on
   * the windows a query reads.
   *
   * @param resolutions the rollup resolutions: window size in ms to name ({@code 60000 → 1m})
   */
  public static QueryApi start(
      WebConfig web,
      String host,
      int port,
      RollupStore store,
      Map<Long, String> resolutions,
      PrometheusMeterRegistry meters) {
    return new QueryApi(
        QueryServer.start(
            web, host, port, store, resolutions, meters, () -> true, null, Long.MAX_VALUE));
  }

  /** The base URL, e.g. {@code http://127.0.0.1:9095}. */
  public String url() {
    return server.url();
  }

  @Override
  public void close() {
    server.close();
  }
}
