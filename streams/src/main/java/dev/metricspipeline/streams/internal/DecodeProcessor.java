package dev.metricspipeline.streams.internal;

import dev.metricspipeline.runtime.StreamsFaults;
import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.RejectReason;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.streams.DropCounters;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes {@code metrics.samples} records into samples, each forwarded keyed by its series id: a
 * {@code SampleBatch} gives its items (id in each item), a single {@code MetricSample} record gives
 * itself (id = record key). One that does not decode (not our wire format, unknown schema id,
 * corrupt) goes to {@code metrics.rejected} with its coordinates and original bytes, counted and
 * logged, and processing goes on: no crash loop on a poison record. A sample stamped before 1970 or
 * further ahead of the stage's wall clock than {@link SampleTimestamps} allows goes there too
 * ({@code INVALID_TIMESTAMP}): Kafka Streams would throw on the first and the broker would refuse
 * the changelog writes of the second, failing the task on every replay. A NaN value (not the stale
 * marker) cannot be rolled up and is dropped here, once, counted as {@code nan}.
 *
 * <p>The checks and the faults are per sample, not per record: a sample of a batch that has a bad
 * time, or on which a later processor throws, goes to {@code metrics.rejected} alone (with the
 * decoded sample and its series id as the original key; the batch's bytes are not copied into every
 * rejection), and the batch's other samples go on. Without that, one bad sample would take the rest
 * of its batch with it to the global processing-exception handler.
 *
 * <p>A registry that cannot be reached is not a poison record: the exception propagates, the thread
 * is retried with backoff (see {@code StreamsFaults}) and the record is decoded once the registry
 * answers.
 */
public final class DecodeProcessor implements Processor<String, byte[], String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);

  private final Deserializer<List<MetricSample>> deserializer;
  private final DropCounters drops;
  private final SampleTimestamps timestamps;
  private final String samplesChild;
  private final String rejectedChild;
  private ProcessorContext<String, SpecificRecord> context;

  public DecodeProcessor(
      Deserializer<List<MetricSample>> deserializer,
      DropCounters drops,
      SampleTimestamps timestamps,
      String samplesChild,
      String rejectedChild) {
    this.deserializer = deserializer;
    this.drops = drops;
    this.timestamps = timestamps;
    this.samplesChild = samplesChild;
    this.rejectedChild = rejectedChild;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, byte[]> record) {
    RecordMetadata where = context.recordMetadata().orElse(null);
    String topic = where == null ? "" : where.topic();
    List<MetricSample> samples;
    try {
      samples = deserializer.deserialize(topic, record.value());
    } catch (RuntimeException e) {
      if (!StreamsFaults.isRecordFault(e)) {
        throw e; // the registry is away: retry, do not reject a good record
      }
      drops.increment("samples_in");
      drops.increment("undecodable");
      LOG.warn("Rejected undecodable record {}: {}", Coordinates.of(where), e.getMessage());
      reject(
          record,
          where,
          RejectReason.UNDECODABLE,
          String.valueOf(e.getMessage()),
          null,
          true,
          null);
      return;
    }
    // A single sample's series id is the record key; a batch's items carry theirs. A tombstone
    // carries no sample.
    boolean single = samples.size() == 1 && samples.get(0).getSeriesId() == null;
    for (MetricSample sample : samples) {
      drops.increment("samples_in");
      String id = single ? record.key() : sample.getSeriesId();
      if (id == null) {
        // A single record without a key, or a batch item without its id: the series is unknown.
        String detail =
            "sample " + sample.getName() + " has no series id (no record key, no seriesId field)";
        drops.increment("undecodable");
        LOG.warn("Rejected record {}: {}", Coordinates.of(where), detail);
        reject(record, where, RejectReason.UNDECODABLE, detail, sample, single, null);
        continue;
      }
      process(record, where, sample, id, single);
    }
  }

  private void process(
      Record<String, byte[]> record,
      RecordMetadata where,
      MetricSample sample,
      String id,
      boolean single) {
    Optional<String> badTime =
        timestamps.violation(id, sample.getTimestamp(), context.currentSystemTimeMs());
    if (badTime.isPresent()) {
      drops.increment("invalid_timestamp");
      LOG.warn("Rejected record {}: {}", Coordinates.of(where), badTime.get());
      reject(record, where, RejectReason.INVALID_TIMESTAMP, badTime.get(), sample, single, id);
      return;
    }
    double value = sample.getValue();
    if (Double.isNaN(value) && !StaleMarker.isStale(value)) {
      drops.increment("nan");
      LOG.debug(
          "Not rolling up NaN sample {}@{} from {}",
          id,
          sample.getTimestamp(),
          Coordinates.of(where));
      return;
    }
    Record<String, SpecificRecord> out =
        new Record<>(id, (SpecificRecord) sample, sample.getTimestamp(), record.headers());
    if (single) {
      context.forward(out, samplesChild); // faults go to the global handler, with the bytes
      return;
    }
    try {
      context.forward(out, samplesChild);
    } catch (RuntimeException e) {
      if (!StreamsFaults.isRecordFault(e)) {
        throw e;
      }
      drops.increment("processing_error");
      LOG.warn(
          "Rejected sample {} of batch {}: processing failed: {}",
          id,
          Coordinates.of(where),
          e.toString());
      reject(record, where, RejectReason.PROCESSING_ERROR, e.toString(), sample, false, id);
    }
  }

  /** To metrics.rejected, stamped with the wall clock (the record's own time may be the fault). */
  private void reject(
      Record<String, byte[]> record,
      RecordMetadata where,
      RejectReason reason,
      String detail,
      MetricSample sample,
      boolean single,
      String seriesId) {
    long now = context.currentSystemTimeMs();
    Rejected rejected =
        Rejected.newBuilder()
            .setReason(reason)
            .setDetail(detail)
            .setSourceTopic(where == null ? null : where.topic())
            .setSourcePartition(where == null ? null : where.partition())
            .setSourceOffset(where == null ? null : where.offset())
            .setRejectedAt(now)
            .setOriginalKey(originalKey(single ? record.key() : seriesId))
            .setOriginalValue(
                single && record.value() != null ? ByteBuffer.wrap(record.value()) : null)
            .setSample(sample)
            .build();
    context.forward(record.withValue((SpecificRecord) rejected).withTimestamp(now), rejectedChild);
  }

  private static ByteBuffer originalKey(String key) {
    return key == null ? null : ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8));
  }
}
