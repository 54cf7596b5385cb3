package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.formats.proto.remote.Remote.Exemplar;
import dev.metricspipeline.formats.proto.remote.Remote.Label;
import dev.metricspipeline.formats.proto.remote.Remote.MetricMetadata;
import dev.metricspipeline.formats.proto.remote.Remote.Sample;
import dev.metricspipeline.formats.proto.remote.Remote.TimeSeries;
import dev.metricspipeline.formats.proto.remote.Remote.WriteRequest;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class RemoteWriteParserTest {

  private final RemoteWriteParser parser = new RemoteWriteParser(1 << 20);

  private static TimeSeries series(String name, String k, String v, double value, long ts) {
    return TimeSeries.newBuilder()
        .addLabels(Label.newBuilder().setName("__name__").setValue(name))
        .addLabels(Label.newBuilder().setName(k).setValue(v))
        .addSamples(Sample.newBuilder().setValue(value).setTimestamp(ts))
        .build();
  }

  @Test
  void seriesBecomeSamplesTypedByMetadata() throws Exception {
    WriteRequest request =
        WriteRequest.newBuilder()
            .addTimeseries(
                series("http_requests_total", "code", "200", 5, 1000).toBuilder()
                    .addSamples(Sample.newBuilder().setValue(6).setTimestamp(2000))
                    .addExemplars(Exemplar.newBuilder().setValue(1)))
            .addTimeseries(series("lat_seconds_bucket", "le", "1.0", 3, 1000))
            .addTimeseries(series("no_metadata", "a", "b", 1, 1000))
            .addMetadata(
                MetricMetadata.newBuilder()
                    .setMetricFamilyName("http_requests_total")
                    .setType(MetricMetadata.MetricType.COUNTER))
            .addMetadata(
                MetricMetadata.newBuilder()
                    .setMetricFamilyName("lat_seconds")
                    .setType(MetricMetadata.MetricType.HISTOGRAM))
            .build();
    ParseResult result = parser.parse(Snappy.compress(request.toByteArray()), 42);
    assertThat(result.samples())
        .extracting(
            s -> SeriesKey.standard().idOf(s.name(), s.labels()),
            ParsedSample::type,
            ParsedSample::timestamp)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "http_requests_total{code=\"200\"}", SampleType.COUNTER, 1000L),
            org.assertj.core.groups.Tuple.tuple(
                "http_requests_total{code=\"200\"}", SampleType.COUNTER, 2000L),
            org.assertj.core.groups.Tuple.tuple(
                "lat_seconds_bucket{le=\"1\"}", SampleType.HISTOGRAM_BUCKET, 1000L),
            org.assertj.core.groups.Tuple.tuple("no_metadata{a=\"b\"}", SampleType.UNTYPED, 1000L));
    assertThat(result.exemplarsDropped()).isEqualTo(1);
  }

  @Test
  void aSnappyBombIsRefusedFromItsHeaderAlone() {
    // A varint header declaring 2^31 - 1 bytes, then a few bytes of nothing.
    byte[] bomb = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 0x00, 0x01, 0x02};
    assertThatThrownBy(() -> parser.parse(bomb, 0))
        .isInstanceOf(LimitExceededException.class)
        .hasMessage("the body declares 2147483647 bytes decompressed; at most 1048576 are allowed");
  }

  @Test
  void badBodiesAreRefusedWithTheReason() throws IOException {
    assertThatThrownBy(() -> parser.parse("not snappy at all".getBytes(), 0))
        .isInstanceOf(ParseException.class);
    assertThatThrownBy(() -> parser.parse(Snappy.compress(new byte[] {(byte) 0xff, 0x01}), 0))
        .isInstanceOf(ParseException.class)
        .hasMessageStartingWith("the body is not a remote_write WriteRequest");
    WriteRequest noName =
        WriteRequest.newBuilder()
            .addTimeseries(
                TimeSeries.newBuilder().addLabels(Label.newBuilder().setName("job").setValue("x")))
            .build();
    assertThatThrownBy(() -> parser.parse(Snappy.compress(noName.toByteArray()), 0))
        .hasMessage("series 1 {job=x} has no __name__ label");
    WriteRequest dup =
        WriteRequest.newBuilder()
            .addTimeseries(
                series("m", "a", "1", 1, 1).toBuilder()
                    .addLabels(Label.newBuilder().setName("a").setValue("2")))
            .build();
    assertThatThrownBy(() -> parser.parse(Snappy.compress(dup.toByteArray()), 0))
        .hasMessage("series 1: duplicate label name \"a\"");
    // Found by fuzzing: a name outside Prometheus' character set went through.
    WriteRequest badName =
        WriteRequest.newBuilder().addTimeseries(series("http_/requests", "a", "1", 1, 1)).build();
    assertThatThrownBy(() -> parser.parse(Snappy.compress(badName.toByteArray()), 0))
        .hasMessage("series 1: invalid metric name \"http_/requests\"");
  }

  @Test
  void familiesWithoutMetadataAreTypedFromRememberedMetadataElseByTheirNames() throws Exception {
    WriteRequest request =
        WriteRequest.newBuilder()
            .addTimeseries(series("node_cpu_seconds_total", "mode", "idle", 5, 1000))
            .addTimeseries(series("rpc_seconds_bucket", "le", "1.0", 3, 1000))
            .addTimeseries(series("rpc_seconds_count", "a", "b", 3, 1000))
            .addTimeseries(series("gc_seconds_sum", "a", "b", 2, 1000))
            .addTimeseries(series("node_load1", "a", "b", 0.5, 1000))
            .addTimeseries(series("remembered", "a", "b", 7, 1000))
            .addTimeseries(series("said_unknown_total", "a", "b", 7, 1000))
            .addMetadata(
                MetricMetadata.newBuilder()
                    .setMetricFamilyName("said_unknown_total")
                    .setType(MetricMetadata.MetricType.UNKNOWN))
            .build();
    RemoteWriteParser.Typed typed =
        parser.parse(
            Snappy.compress(request.toByteArray()),
            42,
            family -> family.equals("remembered") ? MetricMetadata.MetricType.GAUGE : null);
    assertThat(typed.parsed().samples())
        .extracting(ParsedSample::name, ParsedSample::type)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("node_cpu_seconds_total", SampleType.COUNTER),
            org.assertj.core.groups.Tuple.tuple("rpc_seconds_bucket", SampleType.HISTOGRAM_BUCKET),
            org.assertj.core.groups.Tuple.tuple("rpc_seconds_count", SampleType.HISTOGRAM_COUNT),
            org.assertj.core.groups.Tuple.tuple("gc_seconds_sum", SampleType.SUMMARY_SUM),
            org.assertj.core.groups.Tuple.tuple("node_load1", SampleType.UNTYPED),
            org.assertj.core.groups.Tuple.tuple("remembered", SampleType.GAUGE),
            org.assertj.core.groups.Tuple.tuple("said_unknown_total", SampleType.COUNTER));
    assertThat(typed.parsed().families())
        .containsExactly(
            "node_cpu_seconds_total",
            "rpc_seconds",
            "rpc_seconds",
            "gc_seconds",
            "node_load1",
            "remembered",
            "said_unknown_total");
    assertThat(typed.typedByName()).isEqualTo(5);
    assertThat(typed.metadata()).hasSize(1);
  }

  @Test
  void seriesOfOneNameInARowAreTypedAlikeUnlessABucketLacksItsLe() throws Exception {
    // One typing serves a run of series of one name; a _bucket without "le" is no bucket.
    WriteRequest request =
        WriteRequest.newBuilder()
            .addTimeseries(series("rpc_seconds_bucket", "le", "1.0", 3, 1000))
            .addTimeseries(series("rpc_seconds_bucket", "le", "+Inf", 4, 1000))
            .addTimeseries(series("rpc_seconds_bucket", "path", "/a", 1, 1000))
            .addTimeseries(series("rpc_seconds_bucket", "le", "2.0", 3, 1000))
            .addTimeseries(series("rpc_seconds_count", "a", "b", 4, 1000))
            .addTimeseries(series("rpc_seconds_count", "a", "c", 4, 1000))
            .addTimeseries(series("lat_sum", "a", "b", 2, 1000))
            .addTimeseries(series("lat_sum", "a", "c", 2, 1000))
            .addTimeseries(series("requests_total", "a", "b", 9, 1000))
            .addTimeseries(series("requests_total", "a", "c", 9, 1000))
            .addMetadata(
                MetricMetadata.newBuilder()
                    .setMetricFamilyName("lat")
                    .setType(MetricMetadata.MetricType.HISTOGRAM))
            .build();
    RemoteWriteParser.Typed typed =
        parser.parse(Snappy.compress(request.toByteArray()), 42, f -> null);
    assertThat(typed.parsed().samples())
        .extracting(ParsedSample::type)
        .containsExactly(
            SampleType.HISTOGRAM_BUCKET,
            SampleType.HISTOGRAM_BUCKET,
            SampleType.UNTYPED,
            SampleType.HISTOGRAM_BUCKET,
            SampleType.HISTOGRAM_COUNT,
            SampleType.HISTOGRAM_COUNT,
            SampleType.HISTOGRAM_SUM,
            SampleType.HISTOGRAM_SUM,
            SampleType.COUNTER,
            SampleType.COUNTER);
    assertThat(typed.parsed().families())
        .containsExactly(
            "rpc_seconds",
            "rpc_seconds",
            "rpc_seconds_bucket",
            "rpc_seconds",
            "rpc_seconds",
            "rpc_seconds",
            "lat",
            "lat",
            "requests_total",
            "requests_total");
    assertThat(typed.typedByName()).isEqualTo(7);
  }

  /**
   * A remote_write 2.0 request written field by field from the specification's message layout
   * (Request: symbols 4, timeseries 5; TimeSeries: labels_refs 1 packed, samples 2, histograms 3,
   * metadata 5; Sample: value 1, timestamp 2; Metadata: type 1, help_ref 3, unit_ref 4), not with
   * our generated classes, so a wrong field number in our .proto would fail it.
   */
  @Test
  void remoteWrite2SymbolTableAndInlineMetadata() throws Exception {
    String[] symbols = {
      "",
      "__name__",
      "http_requests_total",
      "job",
      "api",
      "Requests served.",
      "rpc_seconds_bucket",
      "le",
      "0.5",
      "queue_depth"
    };
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream out =
        com.google.protobuf.CodedOutputStream.newInstance(bytes);
    for (String symbol : symbols) {
      out.writeString(4, symbol);
    }
    out.writeByteArray(5, series(new int[] {1, 2, 3, 4}, 7, 1_700_000_000_000L, 1, 5));
    out.writeByteArray(5, series(new int[] {1, 6, 3, 4, 7, 8}, 3, 1_700_000_000_000L, 3, 0));
    out.writeByteArray(5, series(new int[] {1, 9}, 12, 1_700_000_000_000L, 0, 0));
    out.flush();
    RemoteWriteParser.V2 v2 = parser.parseV2(Snappy.compress(bytes.toByteArray()), 42, f -> null);
    assertThat(v2.typed().parsed().samples())
        .extracting(
            s -> SeriesKey.standard().idOf(s.name(), s.labels()),
            ParsedSample::type,
            ParsedSample::value)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "http_requests_total{job=\"api\"}", SampleType.COUNTER, 7.0),
            org.assertj.core.groups.Tuple.tuple(
                "rpc_seconds_bucket{job=\"api\",le=\"0.5\"}", SampleType.HISTOGRAM_BUCKET, 3.0),
            org.assertj.core.groups.Tuple.tuple("queue_depth", SampleType.UNTYPED, 12.0));
    assertThat(v2.typed().parsed().families())
        .containsExactly("http_requests_total", "rpc_seconds", "queue_depth");
    assertThat(v2.typed().metadata())
        .extracting(MetricMetadata::getMetricFamilyName, MetricMetadata::getHelp)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("http_requests_total", "Requests served."),
            org.assertj.core.groups.Tuple.tuple("rpc_seconds", ""));
    assertThat(v2.histogramsDropped()).isEqualTo(1);

    java.io.ByteArrayOutputStream bad = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream badOut =
        com.google.protobuf.CodedOutputStream.newInstance(bad);
    badOut.writeString(4, "");
    badOut.writeString(4, "__name__");
    badOut.writeByteArray(5, series(new int[] {1, 7}, 1, 1, 0, 0));
    badOut.flush();
    assertThatThrownBy(() -> parser.parseV2(Snappy.compress(bad.toByteArray()), 42, f -> null))
        .isInstanceOf(ParseException.class)
        .hasMessage("series 1: symbol reference 7 is outside the table of 2 symbols");
  }

  /**
   * One v2 TimeSeries: one sample, metadata when {@code type} is not 0, a native histogram on the
   * series without metadata.
   */
  private static byte[] series(int[] refs, double value, long timestamp, int type, int helpRef)
      throws IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream out =
        com.google.protobuf.CodedOutputStream.newInstance(bytes);
    java.io.ByteArrayOutputStream packed = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream p =
        com.google.protobuf.CodedOutputStream.newInstance(packed);
    for (int ref : refs) {
      p.writeUInt32NoTag(ref);
    }
    p.flush();
    out.writeByteArray(1, packed.toByteArray());
    java.io.ByteArrayOutputStream sample = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream so =
        com.google.protobuf.CodedOutputStream.newInstance(sample);
    so.writeDouble(1, value);
    so.writeInt64(2, timestamp);
    so.flush();
    out.writeByteArray(2, sample.toByteArray());
    if (type != 0) {
      java.io.ByteArrayOutputStream meta = new java.io.ByteArrayOutputStream();
      com.google.protobuf.CodedOutputStream mo =
          com.google.protobuf.CodedOutputStream.newInstance(meta);
      mo.writeEnum(1, type);
      mo.writeUInt32(3, helpRef);
      mo.flush();
      out.writeByteArray(5, meta.toByteArray());
    } else {
      out.writeByteArray(3, new byte[] {0x08, 0x01});
    }
    out.flush();
    return bytes.toByteArray();
  }
}
