package dev.metricspipeline.bench;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.SampleBatch;
import dev.metricspipeline.schemas.registry.SchemaRegistry;
import dev.metricspipeline.schemas.serde.SampleBatchEncoder;
import dev.metricspipeline.schemas.serde.SamplesDeserializer;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reading one {@code SampleBatch} record of 1,000 samples (the stream thread's first step per
 * record), {@code EncodeBenchmark}'s: {@code SamplesDeserializer}, which reads a batch of today's
 * schema field by field, against Avro's {@code SpecificDatumReader} on the same bytes. The writer
 * schema comes from a registry as text, parsed, as the real registry client gives it. samples/s =
 * ops/s × 1,000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecodeBenchmark {

  private static final String TOPIC = "metrics.samples";

  private byte[] record;
  private SamplesDeserializer deserializer;
  private SpecificDatumReader<SampleBatch> stock;

  @Setup
  public void record() {
    Schema asRegistered = new Schema.Parser().parse(SampleBatch.getClassSchema().toString());
    SchemaRegistry registry =
        new SchemaRegistry() {
          @Override
          public int register(String subject, Schema schema) {
            return 1;
          }

          @Override
          public int idOf(String subject, Schema schema) {
            return 1;
          }

          @Override
          public Schema schemaById(int id) {
            return asRegistered;
          }
        };
    deserializer = new SamplesDeserializer(registry); // first: it trusts our Avro classes
    stock = new SpecificDatumReader<>(SampleBatch.class);
    List<MetricSample> samples = EncodeBenchmark.remoteWriteLike();
    List<String> ids = samples.stream().map(MetricSample::getSeriesId).toList();
    record = new SampleBatchEncoder(registry).encode(TOPIC, samples, ids);
    if (!deserializer.deserialize(TOPIC, record).equals(stockAvroReader())) {
      throw new IllegalStateException("the two readers disagree");
    }
  }

  @Benchmark
  public List<MetricSample> ours() {
    return deserializer.deserialize(TOPIC, record);
  }

  @Benchmark
  public List<MetricSample> stockAvroReader() {
    try {
      return stock
          .read(null, DecoderFactory.get().binaryDecoder(record, 5, record.length - 5, null))
          .getSamples();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
