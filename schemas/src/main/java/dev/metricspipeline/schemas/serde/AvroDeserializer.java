package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistry;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire-format Avro: fetches the writer schema by the id in the header and resolves
 * it against the reader schema, so records written with an older or newer compatible schema read
 * into today's class.
 *
 * <p>Specific mode reads into a generated class (given to the constructor, or named by {@code
 * specific.avro.value.type} / {@code specific.avro.key.type}); generic mode (no class) reads {@link
 * GenericRecord}s in the writer's schema.
 *
 * <p>A record that is not in the wire format (unknown magic byte, too short) or names an id the
 * registry does not know fails with a {@link SerializationException} that says which; Kafka
 * consumers surface it as a {@code RecordDeserializationException} with the partition and offset,
 * and the streams stage routes it to {@code metrics.rejected}.
 *
 * <p>Thread-safe once configured.
 */
public final class AvroDeserializer<T> implements Deserializer<T> {

  static {
    AvroTrust.ensure();
  }

  private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
  private SchemaRegistry client;
  private Class<T> type;
  private Schema readerSchema;

  /** For Kafka's reflective construction; {@link #configure} must follow. */
  public AvroDeserializer() {}

  private AvroDeserializer(SchemaRegistry client, Class<T> type) {
    this.client = Objects.requireNonNull(client, "client");
    setType(type);
  }

  /** Reads into a generated class. */
  public static <T extends SpecificRecord> AvroDeserializer<T> specific(
      SchemaRegistry client, Class<T> type) {
    return new AvroDeserializer<>(client, Objects.requireNonNull(type, "type"));
  }

  /** Reads generic records in the writer's schema. */
  public static AvroDeserializer<GenericRecord> generic(SchemaRegistry client) {
    return new AvroDeserializer<>(client, null);
  }

  private void setType(Class<T> type) {
    this.type = type;
    this.readerSchema = type == null ? null : SpecificData.getForClass(type).getSchema(type);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (client == null) {
      client = new SchemaRegistryClient(RegistryClientConfig.fromProperties(configs));
    }
    Object typeName =
        configs.get(isKey ? SerdeConfig.SPECIFIC_KEY_TYPE : SerdeConfig.SPECIFIC_VALUE_TYPE);
    if (type == null && typeName != null) {
      try {
        Class<?> cls =
            typeName instanceof Class<?> c
                ? c
                : Class.forName(typeName.toString(), true, getClass().getClassLoader());
        if (!SpecificRecord.class.isAssignableFrom(cls)) {
          throw new IllegalArgumentException(typeName + " is not a generated Avro class");
        }
        setType((Class<T>) cls);
      } catch (ClassNotFoundException e) {
        throw new IllegalArgumentException("class " + typeName + " not found", e);
      }
    }
  }

  @Override
  public T deserialize(String topic, byte[] payload) {
    if (payload == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException("AvroDeserializer used before configure()");
    }
    int id = WireFormat.schemaId(topic, payload);
    DatumReader<T> reader = readers.computeIfAbsent(id, i -> reader(topic, i));
    try {
      BinaryDecoder decoder =
          DecoderFactory.get()
              .binaryDecoder(
                  payload, WireFormat.HEADER_SIZE, payload.length - WireFormat.HEADER_SIZE, null);
      return reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Cannot decode record from topic " + topic + " with schema id " + id + ": " + e, e);
    }
  }

  /**
   * The writer schema of a record, by the id in its header.
   *
   * @throws SerializationException naming the topic and id, with the registry's error as cause
   */
  static Schema writerSchema(SchemaRegistry client, String topic, int id) {
    try {
      return client.schemaById(id);
    } catch (SchemaRegistryException e) {
      throw new SerializationException(
          "Cannot decode record from topic "
              + topic
              + ": schema id "
              + id
              + " is not known to the Schema Registry: "
              + e.getMessage(),
          e);
    }
  }

  @SuppressWarnings("unchecked")
  private DatumReader<T> reader(String topic, int id) {
    Schema writer = writerSchema(client, topic, id);
    if (type == null) {
      return (DatumReader<T>) new GenericDatumReader<GenericRecord>(writer, writer);
    }
    return new SpecificDatumReader<>(writer, readerSchema, SpecificData.getForClass(type));
  }
}
