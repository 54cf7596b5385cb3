package dev.metricspipeline.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleBatch;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/** The hand-written batch reader against Avro's own, on the same bytes. */
class SampleBatchReaderTest {

  static {
    AvroTrust.ensure();
  }

  private static final int HEADER = WireFormat.HEADER_SIZE;

  private static List<MetricSample> batch(Random random) {
    List<MetricSample> samples = new ArrayList<>();
    int n = random.nextInt(5) == 0 ? 0 : 1 + random.nextInt(40);
    for (int i = 0; i < n; i++) {
      MetricSample sample = SampleItemWriterTest.sample(random);
      sample.setSeriesId(SampleItemWriterTest.text(random)); // every batch item has one
      samples.add(sample);
    }
    return samples;
  }

  /** The record as our producers write it: wire-format header, items from SampleItemWriter. */
  private static byte[] ours(List<MetricSample> samples) {
    List<String> ids = samples.stream().map(MetricSample::getSeriesId).toList();
    SampleBatchEncoder.Items items = new SampleBatchEncoder(null).items(samples, ids);
    SampleBatchEncoder.Batch batch = new SampleBatchEncoder.Batch(7);
    for (int i = 0; i < items.size(); i++) {
      batch.add(items, i);
    }
    return batch.toRecord();
  }

  /** Avro's reader of today's schema on the record's body, or the exception it throws. */
  private static Object stock(byte[] record) {
    try {
      return new SpecificDatumReader<>(SampleBatch.class)
          .read(
              null,
              DecoderFactory.get().binaryDecoder(record, HEADER, record.length - HEADER, null))
          .getSamples();
    } catch (IOException | RuntimeException e) {
      return e;
    }
  }

  private static Object hand(byte[] record) {
    try {
      return SampleBatchReader.read(record, HEADER, record.length);
    } catch (IllegalArgumentException e) {
      return e;
    }
  }

  /**
   * Each sample's fields, the value as its bits: Avro's record equality takes no NaN as equal to
   * another, and the stale marker must come through bit for bit.
   */
  static List<List<Object>> fields(Object samples) {
    List<List<Object>> out = new ArrayList<>();
    for (Object o : (List<?>) samples) {
      MetricSample sample = (MetricSample) o;
      List<Object> fields = new ArrayList<>();
      for (int f = 0; f < MetricSample.getClassSchema().getFields().size(); f++) {
        Object field = sample.get(f);
        fields.add(field instanceof Double d ? Double.doubleToRawLongBits(d) : field);
      }
      out.add(fields);
    }
    return out;
  }

  /** Both refused the bytes, or both read the same samples from them. */
  private static void assertSame(Object hand, Object stock, String as) {
    if (stock instanceof Exception) {
      assertThat(hand)
          .as(as + ": Avro's reader refused it (%s)", stock)
          .isInstanceOf(IllegalArgumentException.class);
      return;
    }
    assertThat(hand).as(as).isInstanceOf(List.class);
    assertThat(fields(hand)).as(as).isEqualTo(fields(stock));
  }

  @Test
  void readsWhatAvrosReaderReads() {
    Random random = new Random(20261201);
    for (int i = 0; i < 500; i++) {
      List<MetricSample> samples = batch(random);
      byte[] record = ours(samples);
      Object read = hand(record);
      assertSame(read, stock(record), "batch " + i);
      assertThat(fields(read)).isEqualTo(fields(samples));
    }
  }

  @Test
  void readsBlocksWithNegativeCountsAsOtherWritersWriteThem() throws IOException {
    Random random = new Random(7);
    for (int i = 0; i < 100; i++) {
      List<MetricSample> samples = batch(random);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(new byte[HEADER]);
      // The blocking encoder writes each array and map block as -count, byte size, items.
      BinaryEncoder encoder = EncoderFactory.get().blockingBinaryEncoder(out, null);
      new SpecificDatumWriter<>(SampleBatch.class)
          .write(SampleBatch.newBuilder().setSamples(samples).build(), encoder);
      encoder.flush();
      byte[] record = out.toByteArray();
      assertSame(hand(record), stock(record), "blocked batch " + i);
      assertThat(fields(hand(record))).isEqualTo(fields(samples));
    }
  }

  @Test
  void refusesCutAndCorruptBatchesWhereAvrosReaderDoes() {
    Random random = new Random(99);
    int refused = 0;
    for (int i = 0; i < 200; i++) {
      byte[] record = ours(batch(random));
      int cut = HEADER + random.nextInt(record.length - HEADER);
      byte[] shorter = Arrays.copyOf(record, cut);
      assertSame(hand(shorter), stock(shorter), "cut at " + cut);
      byte[] corrupt = record.clone();
      for (int k = 0; k < 3; k++) {
        corrupt[HEADER + random.nextInt(corrupt.length - HEADER)] = (byte) random.nextInt(256);
      }
      Object stock = stock(corrupt);
      assertSame(hand(corrupt), stock, "corrupted batch " + i);
      refused += stock instanceof Exception ? 1 : 0;
    }
    assertThat(refused).as("corrupt batches refused by both").isGreaterThan(20);
  }

  @Test
  void readsTodaysBatchSchemaHoweverTheRegistryWritesItAndResolvesAnyOther() {
    Schema today = SampleBatch.getClassSchema();
    assertThat(SampleBatchReader.reads(new Schema.Parser().parse(today.toString()))).isTrue();
    // Without docs and properties (a registry may normalize): the same bytes, read here.
    assertThat(
            SampleBatchReader.reads(
                new Schema.Parser().parse(SchemaNormalization.toParsingForm(today))))
        .isTrue();
    // A field more, a symbol more or one missing: a different layout, left to Avro's resolution.
    String json = today.toString();
    for (String changed :
        List.of(
            json.replace("\"PUSH_OTLP\"", "\"PUSH_OTLP\",\"PUSH_NEW\""),
            json.replace(",\"PUSH_OTLP\"", ""),
            json.replace(
                "{\"name\":\"seriesId\"",
                "{\"name\":\"extra\",\"type\":[\"null\",\"long\"],\"default\":null},"
                    + "{\"name\":\"seriesId\""))) {
      assertThat(changed).isNotEqualTo(json);
      assertThat(SampleBatchReader.reads(new Schema.Parser().parse(changed))).isFalse();
    }
  }

  @Test
  void aHugeCountFailsBeforeAllocating() {
    // count 2^40 items, then nothing: refused on the count, not by running out of memory.
    byte[] record = new byte[HEADER + 8];
    int at = HEADER;
    long zigzag = (1L << 40) << 1;
    while ((zigzag & ~0x7FL) != 0) {
      record[at++] = (byte) ((zigzag & 0x7F) | 0x80);
      zigzag >>>= 7;
    }
    record[at++] = (byte) zigzag;
    byte[] cut = Arrays.copyOf(record, at);
    assertThatThrownBy(() -> SampleBatchReader.read(cut, HEADER, cut.length))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("left");
  }

  private static MetricSample sample(
      String name, Map<String, String> labels, String pushGroup, String source, String id) {
    MetricSample sample =
        MetricSample.newBuilder()
            .setName(name)
            .setLabels(labels)
            .setType(SampleType.GAUGE)
            .setValue(1)
            .setTimestamp(1_000)
            .setIngestTimestamp(1_000)
            .setOrigin(Origin.PUSH_PROMETHEUS)
            .setPushGroup(pushGroup)
            .setSource(source)
            .setSeriesId(id)
            .build();
    return sample;
  }

  @Test
  void aStringIsSharedWithTheSampleBeforeOnlyForTheSameBytesAtTheSamePlace() {
    byte[] record =
        ours(
            List.of(
                sample("up", Map.of("instance", "h1", "job", "a"), "g", "s", "up{a}"),
                sample("up", Map.of("instance", "h1", "job", "b"), "g", "t", "up{a}"),
                sample("up", Map.of("instance", "h1", "zone", "b"), "g", "t", "up{b}")));
    List<MetricSample> read = SampleBatchReader.read(record, HEADER, record.length);
    MetricSample first = read.get(0);
    MetricSample second = read.get(1);
    MetricSample third = read.get(2);
    // Same bytes, same place: the very same String.
    assertThat(second.getName()).isSameAs(first.getName());
    assertThat(second.getPushGroup()).isSameAs(first.getPushGroup());
    assertThat(labelKey(second, 0)).isSameAs(labelKey(first, 0));
    assertThat(second.getLabels().get("instance")).isSameAs(first.getLabels().get("instance"));
    // Same length, other bytes: read as what they are.
    assertThat(second.getLabels()).containsEntry("job", "b");
    assertThat(second.getSource()).isEqualTo("t");
    assertThat(third.getLabels()).containsOnlyKeys("instance", "zone").containsEntry("zone", "b");
    // The series id is never shared, even when equal.
    assertThat(second.getSeriesId())
        .isEqualTo(first.getSeriesId())
        .isNotSameAs(first.getSeriesId());
  }

  private static String labelKey(MetricSample sample, int position) {
    return sample.getLabels().keySet().stream().sorted().toList().get(position).toString();
  }
}
