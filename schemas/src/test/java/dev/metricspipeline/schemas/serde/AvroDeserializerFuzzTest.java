package dev.metricspipeline.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleBatch;
import java.io.IOException;
import java.util.List;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The wire-format deserializer on arbitrary bytes, as the streams stage meets them in {@code
 * metrics.samples}: it either decodes a sample or throws the declared {@link
 * SerializationException}, which the stage turns into an {@code UNDECODABLE} reject. Schema ids 1
 * and 2 are known (MetricSample and Rollup, so a record written in another schema is tried too);
 * the corpus is in {@code src/test/resources/.../AvroDeserializerFuzzTestInputs/}.
 */
class AvroDeserializerFuzzTest {

  private static final InMemoryRegistry REGISTRY = new InMemoryRegistry(1);

  static {
    REGISTRY.register("metrics.samples-value", MetricSample.getClassSchema());
    REGISTRY.register("metrics.rollups.1m-value", Rollup.getClassSchema());
    REGISTRY.register("metrics.samples-batch", SampleBatch.getClassSchema());
  }

  private static final SamplesDeserializer BATCHES = new SamplesDeserializer(REGISTRY);

  private static final AvroDeserializer<MetricSample> SAMPLES =
      AvroDeserializer.specific(REGISTRY, MetricSample.class);

  @FuzzTest(maxDuration = "60s")
  void metricSamples(byte[] data) {
    MetricSample sample;
    try {
      sample = SAMPLES.deserialize("metrics.samples", data);
    } catch (SerializationException expected) {
      assertThat(expected.getMessage()).isNotBlank();
      return;
    }
    if (sample != null) {
      assertThat(sample.getName()).isNotNull();
      assertThat(sample.getLabels()).isNotNull();
    }
  }

  @FuzzTest(maxDuration = "60s")
  void sampleBatches(byte[] data) {
    List<MetricSample> ours;
    try {
      ours = BATCHES.deserialize("metrics.samples", data);
    } catch (SerializationException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      ours = null;
    }
    if (data == null
        || data.length < WireFormat.HEADER_SIZE
        || data[0] != WireFormat.MAGIC_BYTE
        || WireFormat.schemaId("metrics.samples", data) != 3) {
      return; // not a batch of today's schema: no second reader to compare with
    }
    List<MetricSample> avros;
    try {
      avros =
          new SpecificDatumReader<>(SampleBatch.class)
              .read(
                  null,
                  DecoderFactory.get()
                      .binaryDecoder(
                          data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null))
              .getSamples();
    } catch (IOException | RuntimeException e) {
      avros = null;
    }
    assertThat(ours == null)
        .as("refused by ours and by Avro's reader alike")
        .isEqualTo(avros == null);
    if (ours != null) {
      assertThat(SampleBatchReaderTest.fields(ours)).isEqualTo(SampleBatchReaderTest.fields(avros));
    }
  }
}
