package dev.metricspipeline.streams.internal;

import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.RejectReason;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.streams.DropCounters;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * counted and logged, and processing goes on: no crash loop on a poison record. A NaN value (not
 * the stale marker) cannot be rolled up and is dropped here, once, counted as {@code nan}.
 */
public final class DecodeProcessor implements Processor<String, byte[], String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);

  private final Deserializer<MetricSample> deserializer;
  private final DropCounters drops;
  private final String samplesChild;
  private final String rejectedChild;
  private ProcessorContext<String, SpecificRecord> context;

  public DecodeProcessor(
      Deserializer<MetricSample> deserializer,
      DropCounters drops,
      String samplesChild,
      String rejectedChild) {
    this.deserializer = deserializer;
    this.drops = drops;
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
      drops.increment("undecodable");
      LOG.warn("Rejected undecodable record {}: {}", Coordinates.of(where), e.getMessage());
      Rejected rejected =
          Rejected.newBuilder()
              .setReason(RejectReason.UNDECODABLE)
              .setDetail(String.valueOf(e.getMessage()))
              .setSourceTopic(where == null ? null : where.topic())
              .setSourcePartition(where == null ? null : where.partition())
              .setSourceOffset(where == null ? null : where.offset())
              .setRejectedAt(System.currentTimeMillis())
              .setOriginalKey(
                  record.key() == null
                      ? null
                      : ByteBuffer.wrap(record.key().getBytes(StandardCharsets.UTF_8)))
              .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
              .build();
      context.forward(record.withValue((SpecificRecord) rejected), rejectedChild);
      return;
    }
    if (sample == null) {
      return; // a tombstone carries no sample
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
}
