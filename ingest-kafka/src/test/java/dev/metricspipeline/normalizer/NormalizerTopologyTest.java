package dev.metricspipeline.normalizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.Rejected;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The normalizer without a broker: what it refuses, and that it goes on after. */
class NormalizerTopologyTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  /** Plain Avro binary in each record's own schema, read back as generic records. */
  private static final Serializer<SpecificRecord> AVRO =
      (topic, value) -> {
        try {
          ByteArrayOutputStream bytes = new ByteArrayOutputStream();
          BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
          new GenericDatumWriter<SpecificRecord>(value.getSchema()).write(value, encoder);
          encoder.flush();
          return bytes.toByteArray();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };

  private final NormalizerTopology.Counts counts = new NormalizerTopology.Counts();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> influx;
  private TestOutputTopic<String, byte[]> samples;
  private TestOutputTopic<String, byte[]> rejected;

  @BeforeEach
  void start() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "normalizer-test");
    driver =
        new TopologyTestDriver(
            NormalizerTopology.build(
                List.of(new KafkaSource("raw", KafkaSource.Format.INFLUX, Map.of(), "ns")),
                "samples",
                "rejected",
                SeriesKey.standard(),
                SampleTimestamps.defaults(),
                AVRO,
                AVRO,
                counts),
            props,
            NOW);
    influx = driver.createInputTopic("raw", new ByteArraySerializer(), new ByteArraySerializer());
    samples =
        driver.createOutputTopic("samples", new StringDeserializer(), new ByteArrayDeserializer());
    rejected =
        driver.createOutputTopic("rejected", new StringDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private void send(String lines) {
    influx.pipeInput(null, lines.getBytes(StandardCharsets.UTF_8), NOW);
  }

  private static GenericRecord rejectedRecord(byte[] bytes) {
    try {
      return new GenericDatumReader<GenericRecord>(Rejected.getClassSchema())
          .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aMessageWithASampleBeforeTheEpochOrTooFarAheadIsRejectedWholeAndTheNextIsNormalized() {
    send("ok v=1\nm v=1 -9223372036854775806");
    long inTwoHours = NOW.plusSeconds(7200).toEpochMilli() * 1_000_000;
    send("m v=2 " + inTwoHours);
    send("ok v=3");
    assertThat(samples.readKeyValuesToList())
        .singleElement()
        .satisfies(kv -> assertThat(kv.key).isEqualTo("ok_v"));
    List<GenericRecord> refused =
        rejected.readValuesToList().stream().map(NormalizerTopologyTest::rejectedRecord).toList();
    assertThat(refused).hasSize(2);
    assertThat(refused)
        .allSatisfy(r -> assertThat(r.get("reason")).hasToString("INVALID_TIMESTAMP"));
    assertThat(refused.get(0).get("detail"))
        .hasToString(
            "sample m_v has timestamp -9223372036854 ms, before 1970-01-01T00:00:00Z; negative"
                + " timestamps are refused");
    assertThat(refused.get(1).get("detail").toString())
        .startsWith("sample m_v has timestamp 1767232800000 ms (2026-01-01T02:00:00Z), PT2H ahead");
    assertThat(refused.get(1).get("sourceOffset")).isEqualTo(1L);
    assertThat(counts.get("rejected")).isEqualTo(2);
    assertThat(counts.get("samples")).isEqualTo(1);
  }

  @Test
  void aRecordWithoutATimestampStampsItsSamplesWithTheWallClock() {
    influx.pipeInput(
        new org.apache.kafka.streams.test.TestRecord<>(
            null, "m v=1".getBytes(StandardCharsets.UTF_8), null, (Instant) null));
    assertThat(rejected.isEmpty()).isTrue();
    assertThat(samples.readRecord().timestamp()).isEqualTo(NOW.toEpochMilli());
  }
}
