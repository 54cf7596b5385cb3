package dev.metricspipeline.bench;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import dev.metricspipeline.schemas.serde.SampleBatchEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Encoding 1,000 samples shaped like the remote_write benchmark's (10 names, 4 labels, origin and
 * source set) as {@code SampleBatch} items, the gateway's per-request Avro work: ours ({@code
 * SampleBatchEncoder.items}, field by field) against Avro's stock {@code SpecificDatumWriter}
 * writing the same items (the bytes are equal: {@code SampleItemWriterTest}), and ours from series
 * encoded beforehand ({@code encodedItems}, the scraper's way: a series' strings are encoded once
 * and copied per sample; or without the source fields, the push gateway's remote_write way); and
 * the items gathered into records per partition ({@code records}). samples/s = ops/s × 1,000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EncodeBenchmark {

  private List<MetricSample> samples;
  private List<String> ids;
  private List<EncodedSeries> series;
  private List<EncodedSeries> sourceless;
  private SampleBatchEncoder.Items encoded;
  // items() does not use the registry: it is only asked for the batch schema's id.
  private final SampleBatchEncoder encoder = new SampleBatchEncoder(null);
  private final SpecificDatumWriter<MetricSample> stock =
      new SpecificDatumWriter<>(MetricSample.getClassSchema());

  @Setup
  public void samples() {
    samples = remoteWriteLike();
    ids = new ArrayList<>();
    series = new ArrayList<>();
    sourceless = new ArrayList<>();
    for (MetricSample sample : samples) {
      ids.add(sample.getSeriesId());
      series.add(EncodedSeries.of(sample, sample.getSeriesId()));
      sourceless.add(EncodedSeries.of(sample.getName(), sample.getLabels(), sample.getSeriesId()));
    }
    encoded = encoder.encodedItems(samples, series, MetricSample::getSeriesId);
  }

  /**
   * 1,000 samples shaped like the remote_write benchmark's, each with its series id set (also
   * {@code DecodeBenchmark}'s).
   */
  static List<MetricSample> remoteWriteLike() {
    List<MetricSample> samples = new ArrayList<>();
    SeriesKey key = SeriesKey.standard();
    for (int i = 0; i < 1_000; i++) {
      TreeMap<String, String> labels = new TreeMap<>();
      labels.put("batch", "steady");
      labels.put("instance", "host-" + (i % 100) + ":9100");
      labels.put("job", "bench");
      labels.put("series", Integer.toString(i));
      MetricSample sample =
          MetricSample.newBuilder()
              .setName("rw_metric_" + (i % 10))
              .setLabels(labels)
              .setType(SampleType.UNTYPED)
              .setValue(i * 1.5)
              .setTimestamp(1_764_500_000_000L + i)
              .setIngestTimestamp(1_764_500_000_123L)
              .setOrigin(Origin.PUSH_REMOTE_WRITE)
              .setSource("/api/v1/write")
              .build();
      sample.setLabels(labels); // the builder copied them into a HashMap
      sample.setSeriesId(key.idOf(sample));
      samples.add(sample);
    }
    return samples;
  }

  @Benchmark
  public SampleBatchEncoder.Items ours() {
    return encoder.items(samples, ids);
  }

  /** The scraper's way: each series' strings encoded once, kept in its scrape cache, copied. */
  @Benchmark
  public SampleBatchEncoder.Items oursEncodedSeries() {
    return encoder.encodedItems(samples, series, MetricSample::getSeriesId);
  }

  /**
   * The push gateway's remote_write way: each series' name, labels and id encoded once, kept in its
   * series cache; the request's source fields written once and copied.
   */
  @Benchmark
  public SampleBatchEncoder.Items oursEncodedSeriesWithoutSource() {
    return encoder.encodedItems(samples, sourceless, MetricSample::getSeriesId);
  }

  /**
   * The publisher's step after encoding: the 1,000 items split by partition (6) into wire-format
   * records ({@code PartitionedBatches}), as a transaction's commit does.
   */
  @Benchmark
  public void records(Blackhole records) {
    SampleBatchEncoder.PartitionedBatches batches =
        new SampleBatchEncoder.PartitionedBatches(
            1, 6, (partition, record) -> records.consume(record));
    batches.add(encoded);
    batches.flush();
  }

  @Benchmark
  public byte[] stockAvroWriter() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(samples.size() * 160);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    for (MetricSample sample : samples) {
      stock.write(sample, encoder);
    }
    encoder.flush();
    return out.toByteArray();
  }
}
