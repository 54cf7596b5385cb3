package dev.metricspipeline.launcher;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.streams.AggregationRules;
import dev.metricspipeline.streams.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What the streams stage does, shared by {@code run} and {@code streams}. */
final class StreamsOptions {

  /** The command this is mixed into, whose error stream a bad option is reported on. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(
      names = "--rollup-grace",
      defaultValue = "PT30S",
      paramLabel = "DURATION",
      description =
          "How long after its end a rollup window still takes samples (ISO-8601). Env:"
              + " METRICS_PIPELINE_ROLLUP_GRACE. Default: ${DEFAULT-VALUE}")
  Duration rollupGrace;

  @Option(
      names = "--allowed-lateness",
      defaultValue = "PT2H",
      paramLabel = "DURATION",
      description =
          "How long after its end plus the grace a rollup window still takes late samples"
              + " (ISO-8601): each change is emitted again as a revision of the window, and a"
              + " sample later than that is rejected as LATE. Covers a Prometheus remote_write"
              + " replay after an outage. Env: METRICS_PIPELINE_ALLOWED_LATENESS. Default:"
              + " ${DEFAULT-VALUE}")
  Duration allowedLateness;

  @Option(
      names = "--aggregation-rules",
      paramLabel = "FILE",
      description =
          "YAML list of cross-series aggregation rules ({match, by|without, outputs}); none by"
              + " default. Env: METRICS_PIPELINE_AGGREGATION_RULES")
  Path aggregationRules;

  @Option(
      names = "--stream-threads",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "Kafka Streams threads of the streams stage; 0: one per core of this machine (each"
              + " takes a share of the partitions). Env: METRICS_PIPELINE_STREAM_THREADS. Default:"
              + " ${DEFAULT-VALUE}")
  int streamThreads;

  @Option(
      names = "--hot-entries",
      defaultValue = "4096",
      paramLabel = "N",
      description =
          "Series state entries each streams task keeps decoded on the heap (about 1.5 kB each),"
              + " so a series' next sample skips reading and decoding its entry; a series is"
              + " kept from its second sighting among the last twice N not kept; 0 keeps none."
              + " Env: METRICS_PIPELINE_HOT_ENTRIES. Default: ${DEFAULT-VALUE}")
  int hotEntries;

  /** The stage's thread count: {@code --stream-threads}, or one per core. */
  int threads() {
    if (streamThreads < 0) {
      throw new picocli.CommandLine.ParameterException(
          command.commandLine(), "--stream-threads must be 0 (one per core) or more");
    }
    return streamThreads == 0 ? Runtime.getRuntime().availableProcessors() : streamThreads;
  }

  /** {@code kafka} with the Kafka Streams settings these options make merged over its own. */
  KafkaConnection streamsConnection(KafkaConnection kafka) {
    java.util.Map<String, String> props = new java.util.HashMap<>(kafka.settings());
    props.put("num.stream.threads", Integer.toString(threads()));
    return kafka.withSettings(props);
  }

  /**
   * The default settings with the grace, the allowed lateness, the hot entries and, if a file is
   * given, its aggregation rules.
   */
  StreamsSettings settings() {
    StreamsSettings settings =
        new SettingFlags(
                command,
                Map.of(
                    "grace", "--rollup-grace",
                    "allowedLateness", "--allowed-lateness",
                    "hotEntries", "--hot-entries"))
            .build(
                () ->
                    StreamsSettings.defaults()
                        .withGrace(rollupGrace)
                        .withAllowedLateness(allowedLateness)
                        .withHotEntries(hotEntries));
    return aggregationRules == null
        ? settings
        : settings.withAggregationRules(
            SettingFlags.file(
                command, "--aggregation-rules", () -> AggregationRules.load(aggregationRules)));
  }
}
