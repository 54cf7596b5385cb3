package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.metricspipeline.formats.internal.LineScanner;
import dev.metricspipeline.formats.proto.remote.Remote.Exemplar;
import dev.metricspipeline.formats.proto.remote.Remote.Label;
import dev.metricspipeline.formats.proto.remote.Remote.MetricMetadata;
import dev.metricspipeline.formats.proto.remote.Remote.Sample;
import dev.metricspipeline.formats.proto.remote.Remote.TimeSeries;
import dev.metricspipeline.formats.proto.remote.Remote.WriteRequest;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

/**
 * The hand-written remote_write 1.0 reader against protobuf-java's generated {@code
 * WriteRequest.parseFrom} on the same bytes, with and without the series cache.
 */
class WriteRequestReaderTest {

  private static final List<String> NAMES =
      List.of("up", "http_requests_total", "node_cpu_seconds_total", "rpc_seconds_count", "x");
  private static final List<String> LABELS = List.of("job", "instance", "code", "cpu", "mode");

  private static TimeSeries randomSeries(Random random) {
    TimeSeries.Builder series = TimeSeries.newBuilder();
    List<String> names = new ArrayList<>(LABELS);
    java.util.Collections.shuffle(names, random);
    int labels = random.nextInt(names.size() + 1);
    int nameAt = random.nextInt(labels + 1);
    for (int i = 0; i <= labels; i++) {
      if (i == nameAt) {
        series.addLabels(
            Label.newBuilder()
                .setName("__name__")
                .setValue(NAMES.get(random.nextInt(NAMES.size()))));
      }
      if (i < labels) {
        String value = random.nextInt(8) == 0 ? "é" + random.nextInt(3) : "v" + random.nextInt(3);
        series.addLabels(Label.newBuilder().setName(names.get(i)).setValue(value));
      }
    }
    for (int i = random.nextInt(4); i > 0; i--) {
      series.addSamples(
          Sample.newBuilder()
              .setValue(random.nextInt(5) == 0 ? Double.NaN : random.nextDouble() * 1e6)
              .setTimestamp(random.nextLong(2_000_000_000_000L)));
    }
    if (random.nextInt(5) == 0) {
      series.addExemplars(Exemplar.newBuilder().setValue(1));
    }
    return series.build();
  }

  private static WriteRequest randomRequest(Random random) {
    WriteRequest.Builder request = WriteRequest.newBuilder();
    for (int i = random.nextInt(6); i > 0; i--) {
      request.addTimeseries(randomSeries(random));
    }
    if (random.nextInt(4) == 0) {
      request.addMetadata(
          MetricMetadata.newBuilder()
              .setMetricFamilyName("http_requests")
              .setType(MetricMetadata.MetricType.COUNTER));
    }
    return request.build();
  }

  /**
   * What the parser must make of {@code raw} by protobuf-java's reading of it: the samples, or null
   * when the parser must refuse it (not a WriteRequest, or a series with a bad name or labels).
   * Only for requests whose samples no metadata types as buckets or quantiles (no bound rewritten).
   */
  private static List<String> expected(byte[] raw) {
    WriteRequest request;
    try {
      request = WriteRequest.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
    List<String> samples = new ArrayList<>();
    for (TimeSeries series : request.getTimeseriesList()) {
      TreeMap<String, String> labels = new TreeMap<>();
      String name = null;
      for (Label label : series.getLabelsList()) {
        if (label.getName().equals("__name__")) {
          name = label.getValue();
        } else if (!LineScanner.isLabelName(label.getName())
            || labels.put(label.getName(), label.getValue()) != null) {
          return null;
        }
      }
      if (name == null || !LineScanner.isMetricName(name)) {
        return null;
      }
      for (Sample s : series.getSamplesList()) {
        samples.add(
            name
                + labels
                + " "
                + Double.doubleToRawLongBits(s.getValue())
                + " "
                + s.getTimestamp());
      }
    }
    return samples;
  }

  /** protobuf-java's reason to refuse {@code raw}, or that it reads it. */
  private static String why(byte[] raw) {
    try {
      return "protobuf-java reads it as " + WriteRequest.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      return "protobuf-java: " + e.getMessage();
    }
  }

  private static List<String> described(ParseResult result) {
    return result.samples().stream()
        .map(
            s ->
                s.name()
                    + s.labels()
                    + " "
                    + Double.doubleToRawLongBits(s.value())
                    + " "
                    + s.timestamp())
        .toList();
  }

  @Test
  void readsWhatProtobufJavaReadsWithAndWithoutTheCache() throws Exception {
    Random random = new Random(7);
    RemoteWriteSeriesCache cache = new RemoteWriteSeriesCache(64);
    RemoteWriteParser cached = new RemoteWriteParser(1 << 20, cache);
    RemoteWriteParser plain = new RemoteWriteParser(1 << 20);
    int compared = 0;
    for (int i = 0; i < 3_000; i++) {
      WriteRequest request = randomRequest(random);
      byte[] body = Snappy.compress(request.toByteArray());
      List<String> expected = expected(request.toByteArray());
      if (expected == null) {
        assertThatThrownBy(() -> plain.parse(body, 0)).isInstanceOf(ParseException.class);
        assertThatThrownBy(() -> cached.parse(body, 0)).isInstanceOf(ParseException.class);
        continue;
      }
      ParseResult withoutCache = plain.parse(body, 0);
      // Twice with the cache: the second time every series is found in it.
      for (int pass = 0; pass < 2; pass++) {
        ParseResult withCache = cached.parse(body, 0);
        assertThat(described(withCache)).isEqualTo(expected);
        assertThat(withCache.samples()).isEqualTo(withoutCache.samples());
        assertThat(withCache.families()).isEqualTo(withoutCache.families());
        assertThat(withCache.exemplarsDropped()).isEqualTo(withoutCache.exemplarsDropped());
      }
      assertThat(described(withoutCache)).isEqualTo(expected);
      compared++;
      assertThat(cache.size()).isLessThanOrEqualTo(64);
    }
    assertThat(compared).isGreaterThan(1_000);
  }

  @Test
  void keptSeriesComeEncodedUnderTheGivenSeriesKeysIds() throws Exception {
    Random random = new Random(11);
    SeriesKey ids = SeriesKey.excluding(Set.of("replica"));
    RemoteWriteParser parser = new RemoteWriteParser(1 << 20, new RemoteWriteSeriesCache(64, ids));
    int encoded = 0;
    int notEncoded = 0;
    for (int i = 0; i < 2_000; i++) {
      WriteRequest request = randomRequest(random);
      byte[] body = Snappy.compress(request.toByteArray());
      if (expected(request.toByteArray()) == null) {
        continue;
      }
      for (int pass = 0; pass < 3; pass++) {
        RemoteWriteParser.Typed typed = parser.parse(body, 0, family -> null);
        List<ParsedSample> samples = typed.parsed().samples();
        assertThat(typed.series()).hasSameSizeAs(samples);
        for (int s = 0; s < samples.size(); s++) {
          EncodedSeries series = typed.series().get(s);
          if (series == null) {
            notEncoded++;
            continue;
          }
          encoded++;
          MetricSample sample = samples.get(s).toAvro(Origin.PUSH_REMOTE_WRITE, 0);
          assertThat(series.describes(sample)).as("%s", sample).isTrue();
          assertThat(series.id()).isEqualTo(ids.idOf(sample));
        }
      }
    }
    assertThat(encoded).isGreaterThan(1_000);
    assertThat(notEncoded).as("series seen once, or not kept").isGreaterThan(1_000);
  }

  @Test
  void mutatedBodiesAreRefusedExactlyWhenProtobufJavaRefusesThem() throws Exception {
    Random random = new Random(11);
    RemoteWriteSeriesCache cache = new RemoteWriteSeriesCache(1_000);
    RemoteWriteParser parser = new RemoteWriteParser(1 << 20, cache);
    int refused = 0;
    int accepted = 0;
    int groups = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] raw = randomRequest(random).toByteArray();
      if (raw.length == 0) {
        continue;
      }
      byte[] mutated = mutate(raw, random);
      List<String> expected = expected(mutated);
      byte[] body = Snappy.compress(mutated);
      if (expected == null) {
        try {
          parser.parse(body, 0);
          throw new AssertionError(
              "accepted what protobuf-java or the label checks refuse: "
                  + java.util.HexFormat.of().formatHex(mutated)
                  + " ("
                  + why(mutated)
                  + ")");
        } catch (ParseException expectedRefusal) {
          refused++;
        }
        continue;
      }
      try {
        assertThat(described(parser.parse(body, 0))).isEqualTo(expected);
        accepted++;
      } catch (ParseException e) {
        // The one documented difference: a group wire type, which protobuf-java skips.
        assertThat(e.getMessage()).contains("group wire type");
        groups++;
      }
    }
    assertThat(refused).isGreaterThan(1_000);
    assertThat(accepted).isGreaterThan(500);
    assertThat(groups).isLessThan(accepted / 10);
  }

  /** One to three byte changes: replaced, dropped or inserted. */
  private static byte[] mutate(byte[] raw, Random random) {
    byte[] out = raw.clone();
    for (int n = 1 + random.nextInt(3); n > 0 && out.length > 0; n--) {
      int at = random.nextInt(out.length);
      switch (random.nextInt(3)) {
        case 0 -> out[at] = (byte) random.nextInt(256);
        case 1 -> {
          byte[] shorter = new byte[out.length - 1];
          System.arraycopy(out, 0, shorter, 0, at);
          System.arraycopy(out, at + 1, shorter, at, out.length - at - 1);
          out = shorter;
        }
        default -> {
          byte[] longer = new byte[out.length + 1];
          System.arraycopy(out, 0, longer, 0, at);
          longer[at] = (byte) random.nextInt(256);
          System.arraycopy(out, at, longer, at + 1, out.length - at);
          out = longer;
        }
      }
    }
    return out;
  }

  @Test
  void labelsWithOtherFieldsBetweenThemAreReadAndNotCached() throws Exception {
    Label name = Label.newBuilder().setName("__name__").setValue("up").build();
    Label job = Label.newBuilder().setName("job").setValue("node").build();
    Sample sample = Sample.newBuilder().setValue(1).setTimestamp(1000).build();
    // TimeSeries fields in the order label, sample, label: legal protobuf, not what builders write.
    ByteArrayOutputStream series = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(series);
    out.writeMessage(1, name);
    out.writeMessage(2, sample);
    out.writeMessage(1, job);
    out.flush();
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    out = CodedOutputStream.newInstance(request);
    out.writeBytes(1, ByteString.copyFrom(series.toByteArray()));
    out.flush();
    byte[] raw = request.toByteArray();
    RemoteWriteSeriesCache cache = new RemoteWriteSeriesCache(16);

    ParseResult result = new RemoteWriteParser(1 << 20, cache).parse(Snappy.compress(raw), 0);

    assertThat(described(result)).isEqualTo(expected(raw)).hasSize(1);
    assertThat(result.samples().get(0).labels())
        .containsExactly(java.util.Map.entry("job", "node"));
    assertThat(cache.size()).isZero();
  }

  @Test
  void aCachedSeriesKeepsItsRewrittenBoundPerType() throws Exception {
    WriteRequest request =
        WriteRequest.newBuilder()
            .addTimeseries(
                TimeSeries.newBuilder()
                    .addLabels(Label.newBuilder().setName("__name__").setValue("lat_bucket"))
                    .addLabels(Label.newBuilder().setName("le").setValue("1.0"))
                    .addSamples(Sample.newBuilder().setValue(3).setTimestamp(1000)))
            .build();
    byte[] body = Snappy.compress(request.toByteArray());
    RemoteWriteSeriesCache cache = new RemoteWriteSeriesCache(16, SeriesKey.standard());
    RemoteWriteParser parser = new RemoteWriteParser(1 << 20, cache);

    ParseResult once = parser.parse(body, 0);
    int keptAfterOnce = cache.size();
    ParseResult first = parser.parse(body, 0); // the second sighting: kept
    ParseResult second = parser.parse(body, 0); // found
    // Known as a gauge now: the same cached series, its bound left as sent.
    RemoteWriteParser.Typed gauge =
        parser.parse(
            body,
            0,
            family -> family.equals("lat_bucket") ? MetricMetadata.MetricType.GAUGE : null);

    assertThat(keptAfterOnce).isZero();
    assertThat(once.samples()).isEqualTo(second.samples());
    assertThat(first.samples().get(0).type()).isEqualTo(SampleType.HISTOGRAM_BUCKET);
    assertThat(first.samples().get(0).labels()).containsEntry("le", "1");
    assertThat(second.samples().get(0).labels()).isSameAs(first.samples().get(0).labels());
    assertThat(gauge.parsed().samples().get(0).type()).isEqualTo(SampleType.GAUGE);
    assertThat(gauge.parsed().samples().get(0).labels()).containsEntry("le", "1.0");
    assertThat(cache.size()).isEqualTo(1);
    // Its encoding follows the type too: the id has the bound as the samples' labels have it.
    RemoteWriteParser.Typed bucket = parser.parse(body, 0, family -> null);
    assertThat(bucket.series().get(0).id()).isEqualTo("lat_bucket{le=\"1\"}");
    assertThat(gauge.series().get(0).id()).isEqualTo("lat_bucket{le=\"1.0\"}");
  }

  @Test
  void seriesWhoseLabelBytesHashAlikeAreTwoSeries() throws Exception {
    // Two job values whose series' label fields have one hash, found by trying values in turn
    // (a 32-bit hash: a pair is all but certain among 300,000).
    java.util.Map<Integer, String> byHash = new java.util.HashMap<>();
    String[] pair = null;
    for (int i = 0; pair == null; i++) {
      String job = "job-" + i;
      byte[] fields = series(job).toByteArray(); // no samples: exactly the label fields
      String earlier =
          byHash.putIfAbsent(RemoteWriteSeriesCache.Key.hash(fields, 0, fields.length), job);
      if (earlier != null) {
        pair = new String[] {earlier, job};
      }
    }
    RemoteWriteParser parser = new RemoteWriteParser(1 << 20, new RemoteWriteSeriesCache(16));
    List<String> jobs = new ArrayList<>();
    for (String job : List.of(pair[0], pair[1], pair[0], pair[1], pair[0])) {
      WriteRequest request =
          WriteRequest.newBuilder()
              .addTimeseries(series(job).toBuilder().addSamples(Sample.newBuilder().setValue(1)))
              .build();
      jobs.add(
          parser
              .parse(Snappy.compress(request.toByteArray()), 0)
              .samples()
              .get(0)
              .labels()
              .get("job"));
    }
    assertThat(jobs).containsExactly(pair[0], pair[1], pair[0], pair[1], pair[0]);
  }

  private static TimeSeries series(String job) {
    return TimeSeries.newBuilder()
        .addLabels(Label.newBuilder().setName("__name__").setValue("up"))
        .addLabels(Label.newBuilder().setName("job").setValue(job))
        .build();
  }

  @Test
  void theLabelBytesHashIsTheSameWhereverTheBytesLieAndMovesWithEachBit() {
    // The cache looks series up by a range of the request's bytes and keeps a copy from 0: both
    // must hash alike. Every length up to 40 (the 16- and 8-byte steps and the byte tail) at
    // several offsets, and a flipped bit anywhere changes the hash.
    Random random = new Random(13);
    for (int length = 0; length <= 40; length++) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      int hash = RemoteWriteSeriesCache.Key.hash(bytes, 0, length);
      for (int offset = 1; offset < 9; offset++) {
        byte[] padded = new byte[offset + length + 3];
        random.nextBytes(padded);
        System.arraycopy(bytes, 0, padded, offset, length);
        assertThat(RemoteWriteSeriesCache.Key.hash(padded, offset, offset + length))
            .as("length %d at offset %d", length, offset)
            .isEqualTo(hash);
      }
      for (int bit = 0; bit < 8 * length; bit++) {
        bytes[bit / 8] ^= (byte) (1 << (bit % 8));
        assertThat(RemoteWriteSeriesCache.Key.hash(bytes, 0, length))
            .as("length %d, bit %d flipped", length, bit)
            .isNotEqualTo(hash);
        bytes[bit / 8] ^= (byte) (1 << (bit % 8));
      }
    }
  }

  @Test
  void everySeriesSentTwiceIsKeptUpToTheBound() throws Exception {
    // 40,000 series, each in a request of 1,000, twice over: all are kept on their second sighting.
    // A doorkeeper of one mark per hash slot kept about half (colliding series overwrote each
    // other's mark, every pass).
    RemoteWriteSeriesCache cache = new RemoteWriteSeriesCache(100_000);
    RemoteWriteParser parser = new RemoteWriteParser(1 << 24, cache);
    List<byte[]> bodies = new ArrayList<>();
    for (int r = 0; r < 40; r++) {
      WriteRequest.Builder request = WriteRequest.newBuilder();
      for (int i = 0; i < 1_000; i++) {
        request.addTimeseries(
            TimeSeries.newBuilder()
                .addLabels(Label.newBuilder().setName("__name__").setValue("up"))
                .addLabels(Label.newBuilder().setName("instance").setValue("host-" + r))
                .addLabels(Label.newBuilder().setName("i").setValue("" + i))
                .addSamples(Sample.newBuilder().setValue(i)));
      }
      bodies.add(Snappy.compress(request.build().toByteArray()));
    }
    for (byte[] body : bodies) {
      parser.parse(body, 0);
    }
    assertThat(cache.size())
        .as("seen once: kept only as the filter's false positives")
        .isLessThan(400);
    for (byte[] body : bodies) {
      parser.parse(body, 0);
    }
    assertThat(cache.size()).isEqualTo(40_000);
  }

  @Test
  void theCacheStaysWithinItsBound() throws Exception {
    RemoteWriteSeriesCache cache = new RemoteWriteSeriesCache(10);
    RemoteWriteParser parser = new RemoteWriteParser(1 << 20, cache);
    for (int i = 0; i < 100; i++) {
      WriteRequest request =
          WriteRequest.newBuilder()
              .addTimeseries(
                  TimeSeries.newBuilder()
                      .addLabels(Label.newBuilder().setName("__name__").setValue("up"))
                      .addLabels(Label.newBuilder().setName("i").setValue("" + i))
                      .addSamples(Sample.newBuilder().setValue(i)))
              .build();
      for (int pass = 0; pass < 2; pass++) { // kept on the second
        ParseResult result = parser.parse(Snappy.compress(request.toByteArray()), 0);
        assertThat(result.samples().get(0).labels()).containsEntry("i", "" + i);
        assertThat(cache.size()).isLessThanOrEqualTo(10).isGreaterThanOrEqualTo(pass);
      }
    }
    assertThatThrownBy(() -> new RemoteWriteSeriesCache(1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void groupWireTypesAreRefusedWithTheField() throws IOException {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(request);
    out.writeTag(5, 3); // field 5, start group
    out.writeTag(5, 4); // field 5, end group
    out.flush();
    byte[] body = Snappy.compress(request.toByteArray());

    assertThatThrownBy(() -> new RemoteWriteParser(1 << 20).parse(body, 0))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("not a remote_write WriteRequest")
        .hasMessageContaining("field 5 uses the group wire type");
  }
}
