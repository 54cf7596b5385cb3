package dev.metricspipeline.formats;

import java.util.List;

/**
 * What a parser produced from one body.
 *
 * @param samples the samples, in input order
 * @param families the metric family of each sample, parallel to {@code samples} (e.g. {@code
 *     http_duration_seconds} for {@code http_duration_seconds_bucket})
 * @param exemplarsDropped exemplars seen and not kept (the published sample has no exemplar field)
 * @param duplicatesDropped samples dropped because the same series with the same timestamp came
 *     earlier in the body (OpenMetrics allows this when timestamps were truncated)
 */
public record ParseResult(
    List<ParsedSample> samples,
    List<String> families,
    int exemplarsDropped,
    int duplicatesDropped) {
  public ParseResult {
    samples = List.copyOf(samples);
    families = List.copyOf(families);
    if (samples.size() != families.size()) {
      throw new IllegalArgumentException("one family per sample");
    }
  }
}
