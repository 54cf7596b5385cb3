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
import dev.metricspipeline.schemas.avro.MetricSample;
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
            s -> SeriesKey.standard().idOf(s), MetricSample::getType, MetricSample::getTimestamp)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "http_requests_total{code=\"200\"}", SampleType.COUNTER, 1000L),
            org.assertj.core.groups.Tuple.tuple(
                "http_requests_total{code=\"200\"}", SampleType.COUNTER, 2000L),
            org.assertj.core.groups.Tuple.tuple(
                "lat_seconds_bucket{le=\"1\"}", SampleType.HISTOGRAM_BUCKET, 1000L),
            org.assertj.core.groups.Tuple.tuple("no_metadata{a=\"b\"}", SampleType.UNTYPED, 1000L));
    assertThat(result.exemplarsDropped()).isEqualTo(1);
    assertThat(result.samples().get(0).getIngestTimestamp()).isEqualTo(42);
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
        .extracting(MetricSample::getName, MetricSample::getType)
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
}
