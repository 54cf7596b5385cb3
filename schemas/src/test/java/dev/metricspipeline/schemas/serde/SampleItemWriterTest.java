package dev.metricspipeline.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class SampleItemWriterTest {

  static {
    AvroTrust.ensure();
  }

  private static final String[] TEXT = {
    "",
    "a",
    "job",
    "node_cpu_seconds_total",
    "é",
    "日本語",
    "emoji 😀",
    "quote \" and \\",
    "\u007f",
    "\u0080",
    "x".repeat(200),
  };

  static String text(Random random) {
    return TEXT[random.nextInt(TEXT.length)] + (random.nextBoolean() ? "" : random.nextInt());
  }

  private static String maybe(Random random) {
    return random.nextInt(3) == 0 ? null : text(random);
  }

  static MetricSample sample(Random random) {
    TreeMap<String, String> labels = new TreeMap<>();
    int n = random.nextInt(4) == 0 ? 0 : random.nextInt(20);
    for (int i = 0; i < n; i++) {
      labels.put(text(random), text(random));
    }
    double[] values = {
      0,
      -0.0,
      1.5,
      Double.NaN,
      StaleMarker.VALUE,
      Double.POSITIVE_INFINITY,
      -1e300,
      random.nextGaussian()
    };
    long[] times = {
      0, -1, 1, Long.MAX_VALUE, Long.MIN_VALUE, 1_700_000_000_000L, random.nextLong()
    };
    return MetricSample.newBuilder()
        .setName(text(random))
        .setLabels(labels)
        .setType(SampleType.values()[random.nextInt(SampleType.values().length)])
        .setValue(values[random.nextInt(values.length)])
        .setTimestamp(times[random.nextInt(times.length)])
        .setIngestTimestamp(times[random.nextInt(times.length)])
        .setOrigin(Origin.values()[random.nextInt(Origin.values().length)])
        .setPushGroup(maybe(random))
        .setPushId(maybe(random))
        .setScrapeTarget(maybe(random))
        .setScraperReplica(maybe(random))
        .setSource(maybe(random))
        .setSeriesId(maybe(random)) // the sample's own id is not written: the given one is
        .build();
  }

  /** The stock writer's bytes of the sample with {@code seriesId} set to the given id. */
  private static byte[] stock(MetricSample sample, String id) throws IOException {
    sample.setSeriesId(id); // not a builder copy: that would copy the labels into a HashMap
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new SpecificDatumWriter<>(MetricSample.class).write(sample, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  @Test
  void writesTheStockAvroWritersBytes() throws IOException {
    Random random = new Random(20261130);
    SampleItemWriter writer = new SampleItemWriter(16); // grows many times on the way
    int nonAscii = 0;
    for (int i = 0; i < 2_000; i++) {
      MetricSample sample = sample(random);
      String id = text(random);
      int start = writer.size();
      writer.write(sample, id.getBytes(StandardCharsets.UTF_8));
      byte[] ours = Arrays.copyOfRange(writer.buffer(), start, writer.size());
      String shown = sample.toString();
      assertThat(ours).as("item %d: %s", i, shown).isEqualTo(stock(sample, id));
      nonAscii += shown.chars().anyMatch(c -> c >= 0x80) ? 1 : 0;
    }
    assertThat(nonAscii).as("samples with non-ASCII text among them").isGreaterThan(100);
  }

  @Test
  void writesTheSameBytesFromAnEncodedSeries() throws IOException {
    Random random = new Random(20261201);
    SampleItemWriter writer = new SampleItemWriter(16);
    for (int i = 0; i < 2_000; i++) {
      MetricSample prototype = sample(random);
      String id = text(random);
      EncodedSeries series = EncodedSeries.of(prototype, id);
      // Another sample of the series: the very same objects, its own type, value and timestamps.
      MetricSample next = sample(random);
      MetricSample same =
          new MetricSample(
              prototype.getName(),
              prototype.getLabels(),
              next.getType(),
              next.getValue(),
              next.getTimestamp(),
              next.getIngestTimestamp(),
              prototype.getOrigin(),
              prototype.getPushGroup(),
              prototype.getPushId(),
              prototype.getScrapeTarget(),
              prototype.getScraperReplica(),
              prototype.getSource(),
              null);
      assertThat(series.describes(same)).isTrue();
      // An equal copy is not the same objects: written in full, to the same bytes.
      MetricSample copy = MetricSample.newBuilder(same).build();
      copy.setLabels(new TreeMap<>(same.getLabels()));
      assertThat(series.describes(copy)).isFalse();
      // A different sample given this series is written in full: its own fields, the series' id.
      for (MetricSample s : List.of(prototype, same, copy, next)) {
        assertWritesStockBytes(writer, s, series, i);
      }
    }
  }

  /** Writes {@code s} from {@code series} and compares the item with the stock writer's. */
  private static void assertWritesStockBytes(
      SampleItemWriter writer, MetricSample s, EncodedSeries series, int item) throws IOException {
    int start = writer.size();
    writer.write(s, series);
    byte[] ours = Arrays.copyOfRange(writer.buffer(), start, writer.size());
    assertThat(ours).as("item %d: %s", item, s).isEqualTo(stock(s, series.id()));
  }

  @Test
  void writesTheSameBytesFromASeriesEncodedWithoutItsSource() throws IOException {
    Random random = new Random(20261202);
    SampleItemWriter writer = new SampleItemWriter(16);
    for (int i = 0; i < 2_000; i++) {
      MetricSample first = sample(random);
      String id = text(random);
      EncodedSeries series = EncodedSeries.of(first.getName(), first.getLabels(), id);
      assertThat(series.describes(first)).isTrue();
      // Samples of the series from other requests: its name and labels, their own source fields.
      MetricSample other = sample(random);
      other.setName(first.getName());
      other.setLabels(first.getLabels());
      MetricSample equalNotSame = sample(random);
      equalNotSame.setName(first.getName());
      equalNotSame.setLabels(new TreeMap<>(first.getLabels()));
      assertThat(series.describes(equalNotSame)).isFalse();
      for (MetricSample s : List.of(first, other, first, equalNotSame)) {
        assertWritesStockBytes(writer, s, series, i);
      }
    }
  }

  @Test
  void copiesTheLastSourceOnlyWhenEveryFieldIsTheSameObject() throws IOException {
    Random random = new Random(20261203);
    // Sources that differ from the first in exactly one field each (or in none, as a copy).
    MetricSample base = sample(random);
    base.setPushGroup("group");
    base.setPushId("id");
    base.setScrapeTarget("target");
    base.setScraperReplica("replica");
    base.setSource("source");
    List<MetricSample> sources = new ArrayList<>();
    for (int field = 0; field < 7; field++) {
      MetricSample v = new MetricSample(); // only its source fields are used: base's very objects
      v.setOrigin(base.getOrigin());
      v.setPushGroup(base.getPushGroup());
      v.setPushId(base.getPushId());
      v.setScrapeTarget(base.getScrapeTarget());
      v.setScraperReplica(base.getScraperReplica());
      v.setSource(base.getSource());
      switch (field) {
        case 0 ->
            v.setOrigin(Origin.values()[(base.getOrigin().ordinal() + 1) % Origin.values().length]);
        case 1 -> v.setPushGroup(null);
        case 2 -> v.setPushId("id2");
        case 3 -> v.setScrapeTarget("target2");
        case 4 -> v.setScraperReplica(null);
        case 5 -> v.setSource("source2");
        default -> v.setPushGroup(new String("group")); // equal, not the same object
      }
      sources.add(v);
    }
    sources.add(base);
    SampleItemWriter writer = new SampleItemWriter(16);
    EncodedSeries series = null;
    MetricSample prototype = null;
    for (int i = 0; i < 3_000; i++) {
      MetricSample s = sample(random);
      MetricSample from = sources.get(random.nextInt(sources.size()));
      s.setOrigin(from.getOrigin());
      s.setPushGroup(from.getPushGroup());
      s.setPushId(from.getPushId());
      s.setScrapeTarget(from.getScrapeTarget());
      s.setScraperReplica(from.getScraperReplica());
      s.setSource(from.getSource());
      String id = text(random);
      int start = writer.size();
      if (random.nextBoolean()) {
        writer.write(s, id.getBytes(StandardCharsets.UTF_8));
      } else {
        // Every other item from a series that keeps its source (one of the sources above): copied
        // when it is this sample's, else written; either way not where the writer copies from.
        if (series == null || random.nextInt(4) == 0) {
          prototype = s;
          series = EncodedSeries.of(prototype, id);
        }
        s.setName(prototype.getName());
        s.setLabels(prototype.getLabels());
        id = series.id();
        writer.write(s, series);
      }
      byte[] ours = Arrays.copyOfRange(writer.buffer(), start, writer.size());
      assertThat(ours).as("item %d: %s", i, s).isEqualTo(stock(s, id));
    }
  }
}
