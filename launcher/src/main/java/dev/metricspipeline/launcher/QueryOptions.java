package dev.metricspipeline.launcher;

import picocli.CommandLine.Option;

/** The query API's limits, shared by {@code run} and {@code sink}. */
final class QueryOptions {

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
