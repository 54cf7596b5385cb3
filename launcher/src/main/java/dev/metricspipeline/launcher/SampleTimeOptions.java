package dev.metricspipeline.launcher;

import dev.metricspipeline.schemas.SampleTimestamps;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The sample-time bound every command that takes samples applies (see {@link SampleTimestamps}).
 */
final class SampleTimeOptions {

  @Option(
      names = "--max-sample-ahead",
      defaultValue = "PT10M",
      paramLabel = "DURATION",
      description =
          "How far ahead of this machine's clock a sample's own timestamp may be (ISO-8601, at most"
              + " PT50M); later ones, and any before 1970, are refused with the series named. Env:"
              + " METRICS_PIPELINE_MAX_SAMPLE_AHEAD. Default: ${DEFAULT-VALUE}")
  Duration maxSampleAhead;

  SampleTimestamps timestamps() {
    return new SampleTimestamps(maxSampleAhead);
  }
}
