package dev.metricspipeline.launcher;

import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.sink.JdbcRollupStore;
import dev.metricspipeline.sink.RemoteWriteSink;
import dev.metricspipeline.sink.RollupSink;
import dev.metricspipeline.sink.SinkConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code metrics-pipeline sink}: rollups into SQLite or PostgreSQL, and the query API. */
@Command(
    name = "sink",
    mixinStandardHelpOptions = true,
    description = {
      "Writes the rollup topics into SQLite or PostgreSQL exactly once (offsets kept in the"
          + " store) and serves a Prometheus-shaped query API. Instances with the same --group-id"
          + " share the partitions."
    })
public final class SinkCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Mixin WebOptions webOptions;

  @Mixin RemoteWriteOptions remoteWrite;

  @Mixin QueryOptions query;

  @Spec CommandSpec spec;

  @Option(
      names = "--store",
      defaultValue = "jdbc:sqlite:./data/metrics.db",
      paramLabel = "JDBC_URL",
      description =
          "jdbc:sqlite:FILE or jdbc:postgresql://HOST:PORT/DB?user=...&password=... Env:"
              + " METRICS_PIPELINE_STORE. Default: ${DEFAULT-VALUE}")
  String store;

  @Option(
      names = "--group-id",
      defaultValue = "metrics-pipeline-sink",
      paramLabel = "ID",
      description =
          "Kafka consumer group the instances share. Env: METRICS_PIPELINE_GROUP_ID. Default:"
              + " ${DEFAULT-VALUE}")
  String groupId;

  @Option(
      names = "--resolutions",
      defaultValue = "1m,5m,1h",
      split = ",",
      paramLabel = "RES",
      description =
          "Rollup resolutions to read (topics metrics.rollups.<res>). Env:"
              + " METRICS_PIPELINE_RESOLUTIONS. Default: ${DEFAULT-VALUE}")
  List<String> resolutions;

  @Option(
      names = "--retention",
      defaultValue = "1m=7d,5m=30d,1h=400d",
      paramLabel = "RES=DURATION,...",
      description =
          "How long windows of each resolution are kept. Env: METRICS_PIPELINE_RETENTION."
              + " Default: ${DEFAULT-VALUE}")
  String retention;

  @Option(
      names = "--query-address",
      defaultValue = "0.0.0.0",
      paramLabel = "HOST",
      description =
          "Address of the query API (and /metrics, /-/healthy, /-/ready). Env:"
              + " METRICS_PIPELINE_QUERY_ADDRESS. Default: ${DEFAULT-VALUE}")
  String queryAddress;

  @Option(
      names = "--query-port",
      defaultValue = "9095",
      paramLabel = "PORT",
      description =
          "Port of the query API. Env: METRICS_PIPELINE_QUERY_PORT. Default: ${DEFAULT-VALUE}")
  int queryPort;

  @Override
  public Integer call() throws InterruptedException {
    SinkConfig config =
        new SettingFlags(
                spec,
                Map.of(
                    "host", "--query-address",
                    "port", "--query-port",
                    "topics", "--resolutions"))
            .and(QueryOptions.FLAGS)
            .build(
                () ->
                    SinkConfig.defaults(kafka.connection(), kafka.registry())
                        .withTopics(resolutions.stream().map(Topics::rollups).toList())
                        .withGroup(groupId)
                        .withListen(queryAddress, queryPort)
                        .withRetention(SinkConfig.parseRetention(retention))
                        .withWeb(webOptions.web())
                        .withQueryMaxWindows(query.maxWindows));
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    RollupSink sink = RollupSink.start(config, JdbcRollupStore.open(store), meters);
    RemoteWriteSink.Config remoteWriteConfig = remoteWrite.config(config);
    if (remoteWriteConfig != null) {
      RemoteWriteSink remote = RemoteWriteSink.start(remoteWriteConfig, meters);
      Shutdown.closeOnSignal(
          () -> {
            remote.close();
            sink.close();
          });
      return 0;
    }
    Shutdown.closeOnSignal(sink);
    return 0;
  }
}
