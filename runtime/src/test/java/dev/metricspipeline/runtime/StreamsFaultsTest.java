package dev.metricspipeline.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.avro.RejectReason;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamsFaultsTest {

  /** Plain Avro binary, read back as a generic record (no registry, no class trust needed). */
  private static final Serializer<Rejected> REJECTED =
      (topic, value) -> {
        try {
          ByteArrayOutputStream bytes = new ByteArrayOutputStream();
          BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
          new GenericDatumWriter<Rejected>(Rejected.getClassSchema()).write(value, encoder);
          encoder.flush();
          return bytes.toByteArray();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };

  private final List<String> counted = new ArrayList<>();
  private final StageHealth health = StageHealth.of("test");
  private final StreamsFaults faults =
      new StreamsFaults(
          "rejected", REJECTED, counted::add, health, Duration.ofMillis(1), Duration.ofMillis(4));
  private TopologyTestDriver driver;
  private TestInputTopic<String, String> in;
  private TestOutputTopic<String, String> out;
  private TestOutputTopic<byte[], byte[]> rejected;

  /** Throws on the values that name a fault; writes the rest, upper-cased. */
  private static final class Faulty implements Processor<String, String, String, String> {
    private ProcessorContext<String, String> context;

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, String> record) {
      switch (record.value()) {
        case "boom" -> throw new IllegalStateException("cannot handle boom");
        case "broker-away" -> throw new NotEnoughReplicasException("no replicas");
        case "store-broken" -> throw new ProcessorStateException("RocksDB write failed");
        case "registry-away" ->
            throw new SerializationException(
                "cannot fetch schema",
                new SchemaRegistryException.RegistryUnavailableException(
                    503, 50301, "unreachable", null));
        default -> context.forward(record.withValue(record.value().toUpperCase()));
      }
    }
  }

  @BeforeEach
  void start() {
    Topology topology = new Topology();
    topology.addSource("in", new StringDeserializer(), new StringDeserializer(), "input");
    topology.addProcessor("faulty", Faulty::new, "in");
    Serializer<String> picky =
        (topic, value) -> {
          if (value.equals("UNSERIALIZABLE")) {
            throw new SerializationException("no bytes for " + value);
          }
          return value.getBytes(StandardCharsets.UTF_8);
        };
    topology.addSink("out", "output", new StringSerializer(), picky, "faulty");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "faults-test");
    faults.configure(props);
    driver = new TopologyTestDriver(topology, props, Instant.parse("2026-01-01T00:00:00Z"));
    in = driver.createInputTopic("input", new StringSerializer(), new StringSerializer());
    out = driver.createOutputTopic("output", new StringDeserializer(), new StringDeserializer());
    rejected =
        driver.createOutputTopic(
            "rejected", new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private GenericRecord nextReject() {
    try {
      return new GenericDatumReader<GenericRecord>(Rejected.getClassSchema())
          .read(null, DecoderFactory.get().binaryDecoder(rejected.readValue(), null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String text(Object bytes) {
    return StandardCharsets.UTF_8.decode((ByteBuffer) bytes).toString();
  }

  @Test
  void aRecordAProcessorThrowsOnIsRejectedWithItsCoordinatesAndBytesAndTheStreamGoesOn() {
    in.pipeInput("k1", "a");
    in.pipeInput("k2", "boom");
    in.pipeInput("k3", "b");
    assertThat(out.readValuesToList()).containsExactly("A", "B");
    GenericRecord r = nextReject();
    assertThat(r.get("reason")).hasToString(RejectReason.PROCESSING_ERROR.name());
    assertThat(r.get("detail"))
        .hasToString("faulty threw java.lang.IllegalStateException: cannot handle boom");
    assertThat(r.get("sourceTopic")).hasToString("input");
    assertThat(r.get("sourcePartition")).isEqualTo(0);
    assertThat(r.get("sourceOffset")).isEqualTo(1L);
    assertThat(text(r.get("originalKey"))).isEqualTo("k2");
    assertThat(text(r.get("originalValue"))).isEqualTo("boom");
    assertThat(rejected.isEmpty()).isTrue();
    assertThat(counted).containsExactly("processing_error");
  }

  @Test
  void anOutputThatCannotBeSerializedRejectsItsInputAndTheStreamGoesOn() {
    in.pipeInput("k1", "unserializable");
    in.pipeInput("k2", "c");
    assertThat(out.readValuesToList()).containsExactly("C");
    GenericRecord r = nextReject();
    assertThat(r.get("reason")).hasToString(RejectReason.PRODUCTION_ERROR.name());
    assertThat(r.get("detail"))
        .hasToString(
            "serializing the VALUE for output failed:"
                + " org.apache.kafka.common.errors.SerializationException: no bytes for"
                + " UNSERIALIZABLE");
    assertThat(r.get("sourceOffset")).isEqualTo(0L);
    assertThat(counted).containsExactly("production_error");
  }

  @ParameterizedTest(name = "{0} fails the thread")
  @ValueSource(strings = {"broker-away", "store-broken", "registry-away"})
  void aFaultThatIsNotAboutTheRecordFailsTheThreadAndRejectsNothing(String fault) {
    assertThatThrownBy(() -> in.pipeInput("k", fault)).isNotNull();
    assertThat(rejected.isEmpty()).isTrue();
    assertThat(counted).isEmpty();
  }

  @Test
  void recordFaultsAreToldFromOutages() {
    assertThat(StreamsFaults.isRecordFault(new IllegalArgumentException("bad"))).isTrue();
    assertThat(StreamsFaults.isRecordFault(new InvalidTimestampException("too new"))).isTrue();
    assertThat(StreamsFaults.isRecordFault(new SerializationException("corrupt"))).isTrue();
    assertThat(
            StreamsFaults.isRecordFault(
                new SerializationException(
                    "unknown id", new SchemaRegistryException.SchemaNotFoundException("40403"))))
        .as("a schema id the registry does not know is the record's fault")
        .isTrue();
    assertThat(StreamsFaults.isRecordFault(new NotEnoughReplicasException("x"))).isFalse();
    assertThat(StreamsFaults.isRecordFault(new ProcessorStateException("x"))).isFalse();
    assertThat(StreamsFaults.isRecordFault(new RuntimeException(new OutOfMemoryError()))).isFalse();
  }

  @Test
  void theUncaughtHandlerReplacesTheThreadAndCountsTheFaultUntilTheStageIsFailed() {
    for (int i = 1; i <= 5; i++) {
      assertThat(faults.uncaughtHandler().handle(new IllegalStateException("fault " + i)))
          .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
      assertThat(health.healthy()).as("after %d faults", i).isTrue();
    }
    assertThat(faults.uncaughtHandler().handle(new IllegalStateException("fault 6")))
        .as("it keeps retrying, so an outage that ends heals by itself")
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    assertThat(health.failure())
        .contains("test failed 6 times in a row, last: java.lang.IllegalStateException: fault 6");
    assertThat(health.faults()).isEqualTo(6);
  }
}
