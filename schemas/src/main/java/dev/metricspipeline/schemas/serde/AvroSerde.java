package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.registry.SchemaRegistry;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka (and Kafka Streams) {@link Serde} for a generated Avro class in Confluent's wire format:
 * {@link AvroSerializer} and {@link AvroDeserializer} together.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  private final AvroSerializer<T> serializer;
  private final AvroDeserializer<T> deserializer;

  public AvroSerde(SchemaRegistry client, Class<T> type, boolean autoRegister) {
    this.serializer = new AvroSerializer<>(client, autoRegister);
    this.deserializer = AvroDeserializer.specific(client, type);
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    serializer.configure(configs, isKey);
    deserializer.configure(configs, isKey);
  }

  @Override
  public Serializer<T> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer;
  }
}
