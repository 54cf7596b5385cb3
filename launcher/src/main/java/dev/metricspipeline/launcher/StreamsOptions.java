package dev.metricspipeline.launcher;

import dev.metricspipeline.streams.AggregationRules;
import dev.metricspipeline.streams.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** What the streams stage does, shared by {@code run} and {@code streams}. */
final class StreamsOptions {

  @Option(
      names = "--rollup-grace",
      defaultValue = "PT30S",
      paramLabel = "DURATION",
      description =
          "How long after its end a rollup window still takes samples (ISO-8601). Env:"
              + " METRICS_PIPELINE_ROLLUP_GRACE. Default: ${DEFAULT-VALUE}")
  Duration rollupGrace;

  @Option(
      names = "--aggregation-rules",
      paramLabel = "FILE",
      description =
          "YAML list of cross-series aggregation rules ({match, by|without, outputs}); none by"
              + " default. Env: METRICS_PIPELINE_AGGREGATION_RULES")
  Path aggregationRules;

  /** The default settings with the grace and, if a file is given, its aggregation rules. */
  StreamsSettings settings() {
    StreamsSettings settings = StreamsSettings.defaults().withGrace(rollupGrace);
    return aggregationRules == null
        ? settings
        : settings.withAggregationRules(AggregationRules.load(aggregationRules));
  }
}
