package dev.metricspipeline.sink.internal;

import dev.metricspipeline.runtime.StreamsFaults;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;

/**
 * The one way the sink's readers (the store writer and the remote_write sender) consume rollup
 * topics: committed records only, offsets committed by the reader itself after its output is
 * durable, from the earliest record when the group is new, values decoded through the registry.
 */
public final class RollupConsumers {
  private RollupConsumers() {}

  /**
   * A consumer of rollup records.
   *
   * @param kafka where Kafka is and the client settings (security), applied first so the ones this
   *     class sets win
   * @param maxPollRecords records per poll, or 0 for Kafka's default
   */
  public static KafkaConsumer<String, Rollup> open(
      KafkaConnection kafka, String groupId, RegistryClientConfig registry, int maxPollRecords) {
    Map<String, Object> props = kafka.clientConfig();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    if (maxPollRecords > 0) {
      props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
    }
    return new KafkaConsumer<>(
        props,
        new StringDeserializer(),
        AvroDeserializer.specific(new SchemaRegistryClient(registry), Rollup.class));
  }

  /** {@code sink_records_dropped_total{reason="undecodable"}}, shared by the sink's readers. */
  public static Counter undecodable(MeterRegistry meters) {
    return Counter.builder("sink.records.dropped")
        .tag("reason", "undecodable")
        .description("Records that could not be decoded and were stepped over")
        .register(meters);
  }

  /**
   * Handles a record the deserializer refused. A record that is itself wrong (not Avro, an unknown
   * schema id, a schema that does not resolve) is stepped over, counted and logged: it would be
   * refused forever. When the registry could not be reached the record is kept (the consumer seeks
   * back to it) and this returns false, for the caller to back off and read it again.
   *
   * @return true when the record was stepped over, false when it is to be read again later
   */
  public static boolean stepOverIfBad(
      Consumer<?, ?> consumer, RecordDeserializationException e, Counter undecodable, Logger log) {
    if (!StreamsFaults.isRecordFault(e)) {
      log.warn(
          "Cannot decode {}@{} yet (registry not reachable), reading it again later: {}",
          e.topicPartition(),
          e.offset(),
          e.getMessage());
      consumer.seek(e.topicPartition(), e.offset());
      return false;
    }
    undecodable.increment();
    log.error(
        "Skipping undecodable record {}@{}: {}", e.topicPartition(), e.offset(), e.getMessage());
    consumer.seek(e.topicPartition(), e.offset() + 1);
    return true;
  }
}
