package dev.metricspipeline.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A bad record is stepped over and counted; a record the registry could not resolve is kept. */
class RollupConsumersTest {

  private static final TopicPartition TP = new TopicPartition("metrics.rollups.1m", 0);

  private final MockConsumer<String, Object> consumer =
      new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());
  private final Counter undecodable = RollupConsumers.undecodable(new SimpleMeterRegistry());

  RollupConsumersTest() {
    consumer.assign(List.of(TP));
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
    consumer.seek(TP, 7);
  }

  private static RecordDeserializationException failure(Throwable cause) {
    return new RecordDeserializationException(
        RecordDeserializationException.DeserializationExceptionOrigin.VALUE,
        TP,
        7,
        0,
        TimestampType.CREATE_TIME,
        null,
        ByteBuffer.wrap(new byte[] {1, 2, 3}),
        new RecordHeaders(),
        "cannot decode",
        cause);
  }

  @Test
  void aRecordThatIsNotAvroIsSteppedOverAndCounted() {
    boolean stepped =
        RollupConsumers.stepOverIfBad(
            consumer,
            failure(new SerializationException("unknown magic byte")),
            undecodable,
            LoggerFactory.getLogger(getClass()));

    assertThat(stepped).isTrue();
    assertThat(consumer.position(TP)).isEqualTo(8);
    assertThat(undecodable.count()).isEqualTo(1.0);
  }

  @Test
  void aRecordTheRegistryCouldNotResolveYetIsReadAgain() {
    boolean stepped =
        RollupConsumers.stepOverIfBad(
            consumer,
            failure(new SchemaRegistryException(0, 0, "connection refused", null)),
            undecodable,
            LoggerFactory.getLogger(getClass()));

    assertThat(stepped).isFalse();
    assertThat(consumer.position(TP)).isEqualTo(7);
    assertThat(undecodable.count()).isZero();
  }
}
