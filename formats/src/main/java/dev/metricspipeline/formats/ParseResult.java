package dev.metricspipeline.formats;

import dev.metricspipeline.schemas.avro.MetricSample;
import java.util.List;

/**
 * What a parser produced from one body.
 *
 * @param samples the samples, in input order
 * @param exemplarsDropped exemplars seen and not kept ({@code MetricSample} has no exemplar field)
 * @param duplicatesDropped samples dropped because the same series with the same timestamp came
 *     earlier in the body (OpenMetrics allows this when timestamps were truncated)
 */
public record ParseResult(List<MetricSample> samples, int exemplarsDropped, int duplicatesDropped) {
  public ParseResult {
    samples = List.copyOf(samples);
  }
}
