package dev.metricspipeline.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.Samples;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private final InMemoryRegistry registry = new InMemoryRegistry(42);
  private final AvroSerializer<MetricSample> serializer = new AvroSerializer<>(registry, true);
  private final AvroDeserializer<MetricSample> deserializer =
      AvroDeserializer.specific(registry, MetricSample.class);

  private static MetricSample minimal(double value) {
    return MetricSample.newBuilder()
        .setName("up")
        .setLabels(new TreeMap<>(Map.of("job", "a")))
        .setType(SampleType.GAUGE)
        .setValue(value)
        .setTimestamp(1000)
        .setIngestTimestamp(1005)
        .setOrigin(Origin.PUSH_PROMETHEUS)
        .build();
  }

  @Test
  void goldenBytesForAKnownRecordAndId() {
    byte[] bytes = serializer.serialize("metrics.samples", minimal(1.0));
    // magic 0 | id 42 | "up" | map{job:a} | GAUGE=2 | 1.0 LE | 1000 | 1005 | PUSH_PROMETHEUS=1 | 6
    // x null
    assertThat(HexFormat.of().formatHex(bytes))
        .isEqualTo(
            "00"
                + "0000002a"
                + "04"
                + "7570"
                + "02"
                + "066a6f62"
                + "0261"
                + "00"
                + "04"
                + "000000000000f03f"
                + "d00f"
                + "da0f"
                + "02"
                + "000000000000");
  }

  @Test
  void staleMarkerSurvivesARoundTripBitExact() {
    byte[] bytes = serializer.serialize("t", minimal(StaleMarker.VALUE));
    assertThat(HexFormat.of().formatHex(bytes)).contains("020000000000f07f");
    MetricSample back = deserializer.deserialize("t", bytes);
    assertThat(Double.doubleToRawLongBits(back.getValue())).isEqualTo(StaleMarker.BITS);
    assertThat(StaleMarker.isStale(back.getValue())).isTrue();
  }

  @Test
  void roundTripKeepsEveryField() {
    MetricSample sample =
        Samples.gauge("job_duration_seconds", Map.of("job", "batch_job"), 12.5, 1_700_000_000_000L);
    MetricSample back = deserializer.deserialize("t", serializer.serialize("t", sample));
    assertThat(back).isEqualTo(sample);
  }

  @Test
  void subjectIsTopicNameStrategy() {
    serializer.serialize("metrics.samples", minimal(1));
    assertThat(registry.idOf("metrics.samples-value", MetricSample.getClassSchema())).isEqualTo(42);
  }

  @Test
  void withoutAutoRegisterAnUnregisteredSchemaIsAClearError() {
    AvroSerializer<MetricSample> strict = new AvroSerializer<>(registry, false);
    assertThatThrownBy(() -> strict.serialize("metrics.samples", minimal(1)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("subject metrics.samples-value")
        .hasMessageContaining("Schema not found");
  }

  @Test
  void unknownMagicByteIsAClearSerializationException() {
    byte[] bytes = serializer.serialize("t", minimal(1));
    bytes[0] = 1;
    assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown magic byte 0x01");
  }

  @Test
  void tooShortPayloadIsAClearSerializationException() {
    assertThatThrownBy(() -> deserializer.deserialize("t", new byte[] {0, 0, 1}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("3 bytes is shorter than the 5-byte");
  }

  @Test
  void unknownSchemaIdIsAClearSerializationException() {
    byte[] bytes = serializer.serialize("t", minimal(1));
    bytes[4] = 99;
    assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema id 99 is not known");
  }

  @Test
  void truncatedBodyIsAClearSerializationException() {
    byte[] bytes = serializer.serialize("t", minimal(1));
    byte[] truncated = java.util.Arrays.copyOf(bytes, 12);
    assertThatThrownBy(() -> deserializer.deserialize("t", truncated))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Cannot decode record from topic t with schema id 42");
  }

  @Test
  void recordsWrittenWithAnOlderSchemaReadIntoTheCurrentClass() {
    // An "old" MetricSample: no type, origin or identity fields yet.
    Schema old =
        SchemaBuilder.record("MetricSample")
            .namespace("dev.metricspipeline.schemas.avro")
            .fields()
            .requiredString("name")
            .name("labels")
            .type()
            .map()
            .values()
            .stringType()
            .noDefault()
            .requiredDouble("value")
            .requiredLong("timestamp")
            .requiredLong("ingestTimestamp")
            .endRecord();
    GenericRecord record = new GenericData.Record(old);
    record.put("name", "up");
    record.put("labels", Map.of("job", "a"));
    record.put("value", 1.0);
    record.put("timestamp", 10L);
    record.put("ingestTimestamp", 11L);
    byte[] bytes = new AvroSerializer<GenericRecord>(registry, true).serialize("old", record);

    MetricSample read = deserializer.deserialize("old", bytes);

    assertThat(read.getName()).isEqualTo("up");
    assertThat(read.getType()).isEqualTo(SampleType.UNTYPED);
    assertThat(read.getOrigin()).isEqualTo(Origin.UNKNOWN);
    assertThat(read.getPushGroup()).isNull();
    assertThat(read.getValue()).isEqualTo(1.0);
  }

  @Test
  void genericModeReadsInTheWriterSchema() {
    byte[] bytes = serializer.serialize("t", minimal(2.5));
    GenericRecord read = AvroDeserializer.generic(registry).deserialize("t", bytes);
    assertThat(read.getSchema().getFullName())
        .isEqualTo("dev.metricspipeline.schemas.avro.MetricSample");
    assertThat(read.get("value")).isEqualTo(2.5);
    assertThat(read.get("type").toString()).isEqualTo("GAUGE");
  }

  @Test
  void nullIsATombstoneBothWays() {
    assertThat(serializer.serialize("t", null)).isNull();
    assertThat(deserializer.deserialize("t", null)).isNull();
  }
}
