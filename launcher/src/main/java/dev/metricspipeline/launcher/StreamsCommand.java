package dev.metricspipeline.launcher;

import dev.metricspipeline.streams.StreamsApp;
import dev.metricspipeline.streams.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
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
      names = "--rollup-grace",
      defaultValue = "PT30S",
      paramLabel = "DURATION",
      description =
          "How long after its end a rollup window still takes samples (ISO-8601). Env:"
              + " METRICS_PIPELINE_ROLLUP_GRACE. Default: ${DEFAULT-VALUE}")
  Duration rollupGrace;

  @Override
  public Integer call() throws InterruptedException {
    StreamsApp app =
        StreamsApp.start(
            StreamsSettings.defaults().withGrace(rollupGrace),
            kafka.bootstrapServers,
            kafka.registry(),
            applicationId,
            stateDir,
            kafka.kafka());
    Shutdown.closeOnSignal(app);
    return 0;
  }
}
