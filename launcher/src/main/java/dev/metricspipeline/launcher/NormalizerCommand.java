package dev.metricspipeline.launcher;

import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.launcher.internal.OpsServer;
import dev.metricspipeline.normalizer.KafkaSource;
import dev.metricspipeline.normalizer.Normalizer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code metrics-pipeline normalizer}: raw metric topics into metrics.samples, alone. */
@Command(
    name = "normalizer",
    mixinStandardHelpOptions = true,
    description = {
      "Reads raw metric topics (Influx line protocol, Prometheus text, remote_write,"
          + " prometheus-kafka-adapter JSON) and writes their samples to metrics.samples, exactly"
          + " once; unparseable messages go to metrics.rejected."
    })
public final class NormalizerCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--kafka-sources",
      paramLabel = "FILE",
      description =
          "YAML list of {topic, format, labels}; default: metrics.in.influx, .prometheus,"
              + " .remote-write, .pka-json. Env: METRICS_PIPELINE_KAFKA_SOURCES")
  Path kafkaSources;

  @Option(
      names = "--application-id",
      defaultValue = "metrics-pipeline-normalizer",
      paramLabel = "ID",
      description =
          "Kafka Streams application id. Env: METRICS_PIPELINE_APPLICATION_ID. Default:"
              + " ${DEFAULT-VALUE}")
  String applicationId;

  @Option(
      names = "--state-dir",
      defaultValue = "./data/normalizer",
      paramLabel = "DIR",
      description =
          "Kafka Streams' state directory. Env: METRICS_PIPELINE_STATE_DIR. Default:"
              + " ${DEFAULT-VALUE}")
  Path stateDir;

  @Option(
      names = "--metrics-port",
      defaultValue = "9096",
      paramLabel = "PORT",
      description =
          "Port of /metrics, /-/healthy, /-/ready (on 0.0.0.0). Env: METRICS_PIPELINE_METRICS_PORT."
              + " Default: ${DEFAULT-VALUE}")
  int metricsPort;

  @Mixin SampleTimeOptions sampleTime;

  @Mixin WebOptions webOptions;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    WebConfig web = webOptions.web(); // a bad file stops the command before anything starts
    List<KafkaSource> sources =
        kafkaSources == null
            ? KafkaSource.defaults()
            : SettingFlags.file(spec, "--kafka-sources", () -> KafkaSource.load(kafkaSources));
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Normalizer normalizer =
        Normalizer.start(
            sources,
            sampleTime.timestamps(),
            kafka.connection(),
            kafka.registry(),
            applicationId,
            stateDir,
            meters);
    OpsServer ops =
        OpsServer.start(
            web,
            "0.0.0.0",
            metricsPort,
            meters,
            () -> normalizer.running() && normalizer.health().healthy());
    Shutdown.closeOnSignal(
        () -> {
          normalizer.close();
          ops.close();
        });
    return 0;
  }
}
