package dev.metricspipeline.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rollup;
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
  }

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
}
