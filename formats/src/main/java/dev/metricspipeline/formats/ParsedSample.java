package dev.metricspipeline.formats;

import dev.metricspipeline.formats.internal.FrozenLabels;
import dev.metricspipeline.schemas.MetricSamples;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.Map;
import java.util.Objects;

/**
 * One sample as a parser read it: immutable, so a {@link ParseResult} can be handed to any number
 * of callers and none can change what another sees. The Avro record that is published is made from
 * it at the edge ({@link #toAvro}), by the caller that adds its provenance (origin, push group,
 * scrape target, source).
 *
 * @param name the sample's metric name as exposed, e.g. {@code http_requests_total} or {@code
 *     rpc_duration_seconds_bucket}
 * @param labels label names to values, without {@code __name__}: an unmodifiable copy in ascending
 *     name order (a {@link java.util.SortedMap}), its hash worked out once; a label set that is
 *     already such a copy (another sample's) is shared, not copied
 * @param type the metric family's type and the part of the family this sample is
 * @param value the value; the Prometheus stale marker (a NaN with bits {@code 0x7ff0000000000002})
 *     is kept bit-exact
 * @param timestamp ms since the epoch: the body's, or the default the parser was given (receive or
 *     scrape time) when the body has none
 */
public record ParsedSample(
    String name, Map<String, String> labels, SampleType type, double value, long timestamp) {

  public ParsedSample {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    labels = FrozenLabels.of(labels);
  }

  /**
   * A new Avro record of this sample, owned by the caller, which fills in the rest of its
   * provenance (push group and id, scrape target, source) before publishing it. Its label map is
   * this sample's (unmodifiable): give the record another with {@code setLabels} to change them.
   *
   * @param origin the endpoint or bridge publishing it
   * @param ingestTimestamp when the pipeline accepted it, ms since the epoch
   */
  public MetricSample toAvro(Origin origin, long ingestTimestamp) {
    return MetricSamples.of(
        name,
        labels,
        type,
        value,
        timestamp,
        ingestTimestamp,
        origin,
        null,
        null,
        null,
        null,
        null,
        null);
  }
}
