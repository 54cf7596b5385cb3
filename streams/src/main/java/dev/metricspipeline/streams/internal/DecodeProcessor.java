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
 * Decodes {@code metrics.samples} records. One that does not decode (not our wire format, unknown
 * schema id, corrupt) goes to {@code metrics.rejected} with its coordinates and original bytes,
 * counted and logged, and processing goes on: no crash loop on a poison record. A sample stamped
 * before 1970 or further ahead of the stage's wall clock than {@link SampleTimestamps} allows goes
 * there too ({@code INVALID_TIMESTAMP}): Kafka Streams would throw on the first and the broker
 * would refuse the changelog writes of the second, failing the task on every replay. A NaN value
 * (not the stale marker) cannot be rolled up and is dropped here, once, counted as {@code nan}.
 *
 * <p>A registry that cannot be reached is not a poison record: the exception propagates, the thread
 * is retried with backoff (see {@code StreamsFaults}) and the record is decoded once the registry
 * answers.
 */
public final class DecodeProcessor implements Processor<String, byte[], String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);

  private final Deserializer<MetricSample> deserializer;
  private final DropCounters drops;
  private final SampleTimestamps timestamps;
  private final String samplesChild;
  private final String rejectedChild;
  private ProcessorContext<String, SpecificRecord> context;

  public DecodeProcessor(
      Deserializer<MetricSample> deserializer,
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
    drops.increment("samples_in");
    RecordMetadata where = context.recordMetadata().orElse(null);
    String topic = where == null ? "" : where.topic();
    MetricSample sample;
    try {
      sample = deserializer.deserialize(topic, record.value());
    } catch (RuntimeException e) {
      if (!StreamsFaults.isRecordFault(e)) {
        throw e; // the registry is away: retry, do not reject a good record
      }
      drops.increment("undecodable");
      LOG.warn("Rejected undecodable record {}: {}", Coordinates.of(where), e.getMessage());
      reject(record, where, RejectReason.UNDECODABLE, String.valueOf(e.getMessage()), null);
      return;
    }
    if (sample == null) {
      return; // a tombstone carries no sample
    }
    Optional<String> badTime =
        timestamps.violation(
            record.key() == null ? sample.getName() : record.key(),
            sample.getTimestamp(),
            context.currentSystemTimeMs());
    if (badTime.isPresent()) {
      drops.increment("invalid_timestamp");
      LOG.warn("Rejected record {}: {}", Coordinates.of(where), badTime.get());
      reject(record, where, RejectReason.INVALID_TIMESTAMP, badTime.get(), sample);
      return;
    }
    double value = sample.getValue();
    if (Double.isNaN(value) && !StaleMarker.isStale(value)) {
      drops.increment("nan");
      LOG.debug(
          "Not rolling up NaN sample {}@{} from {}",
          record.key(),
          sample.getTimestamp(),
          Coordinates.of(where));
      return;
    }
    context.forward(
        record.withValue((SpecificRecord) sample).withTimestamp(sample.getTimestamp()),
        samplesChild);
  }

  /** To metrics.rejected, stamped with the wall clock (the record's own time may be the fault). */
  private void reject(
      Record<String, byte[]> record,
      RecordMetadata where,
      RejectReason reason,
      String detail,
      MetricSample sample) {
    long now = context.currentSystemTimeMs();
    Rejected rejected =
        Rejected.newBuilder()
            .setReason(reason)
            .setDetail(detail)
            .setSourceTopic(where == null ? null : where.topic())
            .setSourcePartition(where == null ? null : where.partition())
            .setSourceOffset(where == null ? null : where.offset())
            .setRejectedAt(now)
            .setOriginalKey(
                record.key() == null
                    ? null
                    : ByteBuffer.wrap(record.key().getBytes(StandardCharsets.UTF_8)))
            .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
            .setSample(sample)
            .build();
    context.forward(record.withValue((SpecificRecord) rejected).withTimestamp(now), rejectedChild);
  }
}
