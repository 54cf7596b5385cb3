package dev.metricspipeline.launcher;

import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.launcher.internal.OpsServer;
import dev.metricspipeline.streams.StreamsApp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code metrics-pipeline streams}: the dedup and rollup stage alone, against external Kafka. */
@Command(
    name = "streams",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the streams stage alone (dedup, 1m/5m/1h rollups, exactly once) against an external"
          + " Kafka and Schema Registry. Instances with the same --application-id share the work."
    })
public final class StreamsCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Mixin StreamsOptions streamsOptions;

  @Option(
      names = "--application-id",
      defaultValue = "metrics-pipeline-streams",
      paramLabel = "ID",
      description =
          "Kafka Streams application id. Env: METRICS_PIPELINE_APPLICATION_ID. Default: ${DEFAULT-VALUE}")
  String applicationId;

  @Option(
      names = "--state-dir",
      defaultValue = "./data/streams",
      paramLabel = "DIR",
      description =
          "Where the local state stores live. Env: METRICS_PIPELINE_STATE_DIR. Default: ${DEFAULT-VALUE}")
  Path stateDir;

  @Option(
      names = "--metrics-address",
      defaultValue = "0.0.0.0",
      paramLabel = "HOST",
      description =
          "Address of /metrics, /-/healthy and /-/ready. Env: METRICS_PIPELINE_METRICS_ADDRESS."
              + " Default: ${DEFAULT-VALUE}")
  String metricsAddress;

  @Option(
      names = "--metrics-port",
      defaultValue = "9093",
      paramLabel = "PORT",
      description =
          "Port of /metrics, /-/healthy and /-/ready. Env: METRICS_PIPELINE_METRICS_PORT."
              + " Default: ${DEFAULT-VALUE}")
  int metricsPort;

  @Mixin SampleTimeOptions sampleTime;

  @Mixin WebOptions webOptions;

  @Override
  public Integer call() throws InterruptedException {
    WebConfig web = webOptions.web(); // a bad file stops the command before anything starts
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    StreamsApp app =
        StreamsApp.start(
            streamsOptions.settings().withTimestamps(sampleTime.timestamps()),
            streamsOptions.streamsConnection(kafka.connection()),
            kafka.registry(),
            applicationId,
            stateDir,
            meters);
    OpsServer ops = OpsServer.start(web, metricsAddress, metricsPort, meters, app::ready);
    Shutdown.closeOnSignal(
        () -> {
          app.close();
          ops.close();
        });
    return 0;
  }
}
