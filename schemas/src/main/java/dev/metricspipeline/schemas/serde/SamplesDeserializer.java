package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.SampleBatch;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistry;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a {@code metrics.samples} record as the samples it holds: a {@link SampleBatch} gives its
 * items (each with its {@code seriesId}), a single {@link MetricSample} gives itself (its series id
 * is the record key, not in the value). The writer schema, found by the id in the wire-format
 * header, tells which; any other record fails with a {@link SerializationException} naming it, as
 * do records {@link AvroDeserializer} refuses. Older and newer compatible schemas of either record
 * resolve into today's classes; a batch written with today's schema (the pipeline's own producers)
 * is read field by field by {@link SampleBatchReader}, the same samples at a fraction of the cost.
 * Thread-safe.
 */
public final class SamplesDeserializer implements Deserializer<List<MetricSample>> {

  static {
    AvroTrust.ensure();
  }

  private static final String BATCH = SampleBatch.getClassSchema().getFullName();
  private static final String SAMPLE = MetricSample.getClassSchema().getFullName();

  private final Map<Integer, Reader> readers = new ConcurrentHashMap<>();
  private SchemaRegistry registry;

  /**
   * For Kafka's reflective construction ({@code value.deserializer}); {@link #configure} must
   * follow, with {@code schema.registry.url} among the settings.
   */
  public SamplesDeserializer() {}

  public SamplesDeserializer(SchemaRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (registry == null) {
      registry = new SchemaRegistryClient(RegistryClientConfig.fromProperties(configs));
    }
  }

  /** The samples of the record; empty for a tombstone. */
  @Override
  public List<MetricSample> deserialize(String topic, byte[] payload) {
    if (payload == null) {
      return List.of();
    }
    if (registry == null) {
      throw new IllegalStateException("SamplesDeserializer used before configure()");
    }
    int id = WireFormat.schemaId(topic, payload);
    Reader reader = readers.computeIfAbsent(id, i -> reader(topic, i));
    try {
      if (reader.own) {
        return SampleBatchReader.read(payload, WireFormat.HEADER_SIZE, payload.length);
      }
      BinaryDecoder decoder =
          DecoderFactory.get()
              .binaryDecoder(
                  payload, WireFormat.HEADER_SIZE, payload.length - WireFormat.HEADER_SIZE, null);
      if (reader.batch != null) {
        return reader.batch.read(null, decoder).getSamples();
      }
      return List.of(reader.single.read(null, decoder));
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Cannot decode record from topic " + topic + " with schema id " + id + ": " + e, e);
    }
  }

  private Reader reader(String topic, int id) {
    Schema writer = AvroDeserializer.writerSchema(registry, topic, id);
    String name = writer.getType() == Schema.Type.RECORD ? writer.getFullName() : writer.getName();
    if (name.equals(BATCH)) {
      return new Reader(
          SampleBatchReader.reads(writer),
          new SpecificDatumReader<>(
              writer, SampleBatch.getClassSchema(), SpecificData.getForClass(SampleBatch.class)),
          null);
    }
    if (name.equals(SAMPLE)) {
      return new Reader(
          false,
          null,
          new SpecificDatumReader<>(
              writer, MetricSample.getClassSchema(), SpecificData.getForClass(MetricSample.class)));
    }
    throw new SerializationException(
        "Cannot decode record from topic "
            + topic
            + ": schema id "
            + id
            + " is a "
            + name
            + ", not a "
            + SAMPLE
            + " or "
            + BATCH);
  }

  /**
   * How records of one schema id are read: {@code own} for today's {@code SampleBatch} ({@link
   * SampleBatchReader}, field by field), else Avro's resolving reader of the batch or the sample.
   */
  private record Reader(
      boolean own,
      SpecificDatumReader<SampleBatch> batch,
      SpecificDatumReader<MetricSample> single) {}
}
