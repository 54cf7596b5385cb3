package dev.metricspipeline.launcher;

import java.util.Map;
import picocli.CommandLine.Option;

/** The query API's limits, shared by {@code run} and {@code sink}. */
final class QueryOptions {

  /** The flags that give the sink's query settings, by the names its checks use. */
  static final Map<String, String> FLAGS = Map.of("queryMaxWindows", "--query-max-windows");

  @Option(
      names = "--query-max-windows",
      defaultValue = "20000000",
      paramLabel = "N",
      description =
          "The most rollup windows one query may read (about 100 bytes of heap each); a query that"
              + " could read more is refused, as Prometheus's --query.max-samples. Env:"
              + " METRICS_PIPELINE_QUERY_MAX_WINDOWS. Default: ${DEFAULT-VALUE}")
  long maxWindows;
}
