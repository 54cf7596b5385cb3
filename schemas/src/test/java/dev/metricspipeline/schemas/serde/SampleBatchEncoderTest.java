package dev.metricspipeline.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.Samples;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.SampleBatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class SampleBatchEncoderTest {

  private final InMemoryRegistry registry = new InMemoryRegistry(7);
  private final SampleBatchEncoder encoder = new SampleBatchEncoder(registry);
  private final SamplesDeserializer deserializer = new SamplesDeserializer(registry);

  private static List<MetricSample> samples(int n) {
    List<MetricSample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Samples.gauge("m" + (i % 3), Map.of("job", "j", "i", "" + i), i, 1_000L * i));
    }
    out.add(Samples.gauge("gone", Map.of("job", "j"), StaleMarker.VALUE, 99_000L));
    return out;
  }

  private static List<String> ids(List<MetricSample> samples) {
    return samples.stream().map(SeriesKey.standard()::idOf).toList();
  }

  @Test
  void aBatchIsReadByAPlainAvroReaderWithTheReleasedSchema() throws IOException {
    List<MetricSample> samples = samples(5);
    byte[] record = encoder.encode("metrics.samples", samples, ids(samples));
    assertThat(record[0]).isEqualTo(WireFormat.MAGIC_BYTE);
    assertThat(WireFormat.schemaId("t", record)).isEqualTo(7);

    Schema released;
    try (InputStream in = getClass().getResourceAsStream("/schema-history/SampleBatch/v1.avsc")) {
      released = new Schema.Parser().parse(in);
    }
    GenericRecord batch =
        new GenericDatumReader<GenericRecord>(released)
            .read(
                null,
                DecoderFactory.get()
                    .binaryDecoder(
                        record,
                        WireFormat.HEADER_SIZE,
                        record.length - WireFormat.HEADER_SIZE,
                        null));
    @SuppressWarnings("unchecked")
    List<GenericRecord> items = (List<GenericRecord>) batch.get("samples");
    assertThat(items).hasSize(samples.size());
    for (int i = 0; i < items.size(); i++) {
      assertThat(items.get(i).get("name").toString()).isEqualTo(samples.get(i).getName());
      assertThat(items.get(i).get("timestamp")).isEqualTo(samples.get(i).getTimestamp());
      assertThat(items.get(i).get("pushId").toString()).isEqualTo("p-1");
      assertThat(items.get(i).get("seriesId").toString())
          .isEqualTo(SeriesKey.standard().idOf(samples.get(i)));
    }
  }

  @Test
  void aRecordIsTheHeaderThenAvrosOwnEncodingOfTheBatchAndNothingMore() throws IOException {
    for (int n : List.of(0, 1, 5, 200)) {
      List<MetricSample> samples = n == 0 ? List.of() : samples(n);
      List<String> ids = ids(samples);
      // Items from two calls, as the publisher gathers two requests' into one record.
      SampleBatchEncoder.Batch batch = new SampleBatchEncoder.Batch(7);
      int half = samples.size() / 2;
      SampleBatchEncoder.Items first =
          encoder.items(samples.subList(0, half), ids.subList(0, half));
      SampleBatchEncoder.Items second =
          encoder.items(samples.subList(half, samples.size()), ids.subList(half, ids.size()));
      for (SampleBatchEncoder.Items items : List.of(first, second)) {
        for (int i = 0; i < items.size(); i++) {
          batch.add(items, i);
        }
      }
      byte[] record = batch.toRecord();

      for (int i = 0; i < samples.size(); i++) {
        samples.get(i).setSeriesId(ids.get(i));
      }
      ByteArrayOutputStream avro = new ByteArrayOutputStream();
      BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(avro, null);
      new SpecificDatumWriter<>(SampleBatch.class)
          .write(SampleBatch.newBuilder().setSamples(samples).build(), out);
      out.flush();
      assertThat(Arrays.copyOfRange(record, 0, WireFormat.HEADER_SIZE))
          .containsExactly(WireFormat.MAGIC_BYTE, 0, 0, 0, 7);
      assertThat(Arrays.copyOfRange(record, WireFormat.HEADER_SIZE, record.length))
          .as("%d samples", n)
          .isEqualTo(avro.toByteArray());
    }
  }

  @Test
  void theSamplesDeserializerReadsBatchesAndSingleRecordsAlike() {
    List<MetricSample> samples = samples(4);
    List<MetricSample> read =
        deserializer.deserialize("t", encoder.encode("t", samples, ids(samples)));
    assertThat(read).hasSize(samples.size());
    for (int i = 0; i < read.size(); i++) {
      MetricSample back = read.get(i);
      assertThat(back.getSeriesId()).isEqualTo(SeriesKey.standard().idOf(samples.get(i)));
      back.setSeriesId(null);
      if (i < samples.size() - 1) {
        assertThat(back).isEqualTo(samples.get(i));
      } else {
        assertThat(Double.doubleToRawLongBits(back.getValue())).isEqualTo(StaleMarker.BITS);
      }
    }
    MetricSample single = samples.get(0);
    assertThat(
            deserializer.deserialize(
                "t", new AvroSerializer<MetricSample>(registry, true).serialize("t", single)))
        .containsExactly(single);
    assertThat(deserializer.deserialize("t", null)).isEmpty();
  }

  @Test
  void anEmptyBatchIsAValidRecordWithNoSamples() {
    assertThat(deserializer.deserialize("t", encoder.encode("t", List.of(), List.of()))).isEmpty();
  }

  @Test
  void anotherRecordTypeIsRefusedNamingIt() {
    Schema other =
        SchemaBuilder.record("Other").namespace("x").fields().requiredLong("n").endRecord();
    GenericRecord record = new GenericData.Record(other);
    record.put("n", 1L);
    byte[] bytes = new AvroSerializer<GenericRecord>(registry, true).serialize("t", record);
    assertThatThrownBy(() -> deserializer.deserialize("t", bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("is a x.Other, not a dev.metricspipeline.schemas.avro.MetricSample");
  }

  @Test
  void eachSampleGoesToThePartitionKafkaPicksForItsSeriesIdAsKey() {
    List<MetricSample> samples = samples(40);
    List<String> ids = ids(samples);
    SampleBatchEncoder.Items items = encoder.items(samples, ids);
    for (int i = 0; i < items.size(); i++) {
      byte[] key = ids.get(i).getBytes(StandardCharsets.UTF_8);
      for (int partitions : new int[] {1, 3, 6, 7}) {
        assertThat(items.partition(i, partitions))
            .isEqualTo(BuiltInPartitioner.partitionForKey(key, partitions));
      }
    }
  }

  @Test
  void itemsFromEncodedSeriesAreTheItemsOfTheirIds() {
    List<MetricSample> samples = samples(40);
    List<String> ids = ids(samples);
    List<EncodedSeries> series = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      MetricSample s = samples.get(i);
      series.add(
          switch (i % 3) {
            case 0 -> null; // written whole, its id from the function
            case 1 -> EncodedSeries.of(s, ids.get(i)); // with its source
            default -> EncodedSeries.of(s.getName(), s.getLabels(), ids.get(i)); // without
          });
    }
    SampleBatchEncoder.Items expected = encoder.items(samples, ids);
    SampleBatchEncoder.Items items =
        encoder.encodedItems(samples, series, SeriesKey.standard()::idOf);
    assertThat(record(items)).isEqualTo(record(expected));
    for (int i = 0; i < items.size(); i++) {
      assertThat(items.partition(i, 7)).isEqualTo(expected.partition(i, 7));
    }
    assertThatThrownBy(
            () -> encoder.encodedItems(samples, series.subList(1, 40), SeriesKey.standard()::idOf))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("39 series for 41 samples");
  }

  @Test
  void itemsOfSeriesKeptWithTheirSourceAreWrittenIntoABufferSizedForThemUpFront() {
    // Items of ~500 bytes each: a buffer sized by a per-sample guess would grow (copy) twice.
    List<MetricSample> samples = new ArrayList<>();
    List<EncodedSeries> series = new ArrayList<>();
    int bound = 0;
    for (int i = 0; i < 50; i++) {
      MetricSample s = Samples.gauge("m", Map.of("i", i + "x".repeat(400)), i, 1_000L * i);
      s.setScrapeTarget("http://host:9100/metrics");
      samples.add(s);
      EncodedSeries encoded = EncodedSeries.of(s, SeriesKey.standard().idOf(s));
      series.add(encoded);
      bound += encoded.itemBytes();
    }
    SampleBatchEncoder.Items items =
        encoder.encodedItems(samples, series, SeriesKey.standard()::idOf);
    assertThat(items.capacity()).isEqualTo(bound);
    assertThat(items.start(items.size() - 1) + items.length(items.size() - 1))
        .isBetween(bound - 50 * 20, bound);
    assertThat(record(items)).isEqualTo(record(encoder.items(samples, ids(samples))));
  }

  private static byte[] record(SampleBatchEncoder.Items items) {
    SampleBatchEncoder.Batch batch = new SampleBatchEncoder.Batch(7);
    for (int i = 0; i < items.size(); i++) {
      batch.add(items, i);
    }
    return batch.toRecord();
  }

  @Test
  void aBatchClosesAtItsSampleLimit() {
    List<MetricSample> samples = new ArrayList<>();
    for (int i = 0; i < SampleBatchEncoder.MAX_SAMPLES + 1; i++) {
      samples.add(Samples.gauge("m", Map.of("i", "" + i), i, i));
    }
    SampleBatchEncoder.Items items = encoder.items(samples, ids(samples));
    SampleBatchEncoder.Batch batch = new SampleBatchEncoder.Batch(encoder.schemaId("t"));
    int i = 0;
    while (batch.fits(items, i)) {
      batch.add(items, i++);
    }
    assertThat(batch.count()).isEqualTo(SampleBatchEncoder.MAX_SAMPLES);
    assertThat(deserializer.deserialize("t", batch.toRecord()))
        .hasSize(SampleBatchEncoder.MAX_SAMPLES)
        .last()
        .satisfies(s -> assertThat(s.getLabels()).containsEntry("i", "999"));
  }

  @Test
  void partitionedBatchesSendEachPartitionsSamplesInOrderSplitAtTheLimit() {
    List<MetricSample> samples = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      samples.add(Samples.gauge("m", Map.of("i", "" + (i % 40)), i, i));
    }
    List<String> ids = ids(samples);
    int partitions = 3;
    List<List<MetricSample>> sent = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      sent.add(new ArrayList<>());
    }
    List<Integer> recordSizes = new ArrayList<>();
    SampleBatchEncoder.PartitionedBatches batches =
        new SampleBatchEncoder.PartitionedBatches(
            encoder.schemaId("t"),
            partitions,
            (partition, record) -> {
              List<MetricSample> read = deserializer.deserialize("t", record);
              recordSizes.add(read.size());
              sent.get(partition).addAll(read);
            });
    // Two calls, as two requests in one transaction: the second continues the open batches.
    batches.add(encoder.items(samples.subList(0, 1_000), ids.subList(0, 1_000)));
    batches.add(encoder.items(samples.subList(1_000, 2_500), ids.subList(1_000, 2_500)));
    int sentBeforeFlush = recordSizes.size();
    batches.flush();

    assertThat(sentBeforeFlush)
        .as("a partition past 1,000 samples was sent before flush")
        .isPositive();
    assertThat(recordSizes).allMatch(n -> n <= SampleBatchEncoder.MAX_SAMPLES);
    for (int p = 0; p < partitions; p++) {
      List<MetricSample> expected = new ArrayList<>();
      for (int i = 0; i < samples.size(); i++) {
        byte[] id = ids.get(i).getBytes(StandardCharsets.UTF_8);
        if (BuiltInPartitioner.partitionForKey(id, partitions) == p) {
          expected.add(samples.get(i));
        }
      }
      assertThat(sent.get(p))
          .as("partition %d: its series' samples, in the order added", p)
          .extracting(MetricSample::getTimestamp)
          .containsExactlyElementsOf(expected.stream().map(MetricSample::getTimestamp).toList());
    }
  }
}
