package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistry;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records (generated or generic) in Confluent's wire format, under the subject {@code
 * <topic>-value} (or {@code -key}), so Confluent's, Apicurio's and Karapace's deserializers read
 * them.
 *
 * <p>With {@code auto.register.schemas=true} (the default) the record's schema is registered on
 * first use and the id cached; with false, it must already be registered under the subject and is
 * only looked up. A registry error becomes a {@link SerializationException} whose cause is the
 * typed {@link SchemaRegistryException}; {@link SchemaRegistryException#isRetriable()} tells
 * whether it may pass.
 *
 * <p>Thread-safe once configured.
 */
public final class AvroSerializer<T extends GenericContainer> implements Serializer<T> {

  static {
    AvroTrust.ensure();
  }

  private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
  private SchemaRegistry client;
  private boolean autoRegister = true;
  private boolean isKey;

  /** For Kafka's reflective construction; {@link #configure} must follow. */
  public AvroSerializer() {}

  /** A ready serializer for values. */
  public AvroSerializer(SchemaRegistry client, boolean autoRegister) {
    this.client = Objects.requireNonNull(client, "client");
    this.autoRegister = autoRegister;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    if (client == null) {
      client = new SchemaRegistryClient(RegistryClientConfig.fromProperties(configs));
    }
    Object auto = configs.get(SerdeConfig.AUTO_REGISTER_SCHEMAS);
    if (auto != null) {
      autoRegister = Boolean.parseBoolean(auto.toString());
    }
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException("AvroSerializer used before configure()");
    }
    Schema schema = data.getSchema();
    String subject = isKey ? Topics.keySubject(topic) : Topics.valueSubject(topic);
    int id = schemaId(client, autoRegister, subject, schema, topic);
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    byte[] header = new byte[WireFormat.HEADER_SIZE];
    WireFormat.writeHeader(header, id);
    out.write(header, 0, header.length);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writers.computeIfAbsent(schema, SpecificDatumWriter::new).write(data, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Cannot serialize "
              + schema.getFullName()
              + " for topic "
              + topic
              + ": "
              + e.getMessage(),
          e);
    }
    return out.toByteArray();
  }

  /**
   * The schema's id under the subject, registered first when {@code autoRegister}.
   *
   * @throws SerializationException naming the record, topic and subject, with the registry's {@link
   *     SchemaRegistryException} as cause
   */
  static int schemaId(
      SchemaRegistry client, boolean autoRegister, String subject, Schema schema, String topic) {
    try {
      return autoRegister ? client.register(subject, schema) : client.idOf(subject, schema);
    } catch (SchemaRegistryException e) {
      throw new SerializationException(
          "Cannot serialize "
              + schema.getFullName()
              + " for topic "
              + topic
              + ": Schema Registry refused subject "
              + subject
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
