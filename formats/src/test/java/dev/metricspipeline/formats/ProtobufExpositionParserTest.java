package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.formats.internal.Numbers;
import dev.metricspipeline.formats.proto.exposition.Exposition.Bucket;
import dev.metricspipeline.formats.proto.exposition.Exposition.Counter;
import dev.metricspipeline.formats.proto.exposition.Exposition.Exemplar;
import dev.metricspipeline.formats.proto.exposition.Exposition.Histogram;
import dev.metricspipeline.formats.proto.exposition.Exposition.LabelPair;
import dev.metricspipeline.formats.proto.exposition.Exposition.Metric;
import dev.metricspipeline.formats.proto.exposition.Exposition.MetricFamily;
import dev.metricspipeline.formats.proto.exposition.Exposition.MetricType;
import dev.metricspipeline.formats.proto.exposition.Exposition.Quantile;
import dev.metricspipeline.formats.proto.exposition.Exposition.Summary;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProtobufExpositionParserTest {

  private static byte[] delimited(MetricFamily... families) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (MetricFamily f : families) {
      f.writeDelimitedTo(out);
    }
    return out.toByteArray();
  }

  private static LabelPair label(String name, String value) {
    return LabelPair.newBuilder().setName(name).setValue(value).build();
  }

  @Test
  void countersSummariesAndHistogramsBecomeTextFormatSamples() throws Exception {
    MetricFamily counter =
        MetricFamily.newBuilder()
            .setName("requests_total")
            .setType(MetricType.COUNTER)
            .addMetric(
                Metric.newBuilder()
                    .addLabel(label("code", "200"))
                    .setCounter(
                        Counter.newBuilder()
                            .setValue(7)
                            .setExemplar(Exemplar.newBuilder().setValue(1)))
                    .setTimestampMs(1234))
            .build();
    MetricFamily summary =
        MetricFamily.newBuilder()
            .setName("rpc_seconds")
            .setType(MetricType.SUMMARY)
            .addMetric(
                Metric.newBuilder()
                    .setSummary(
                        Summary.newBuilder()
                            .setSampleCount(4)
                            .setSampleSum(2.5)
                            .addQuantile(Quantile.newBuilder().setQuantile(0.5).setValue(0.4))))
            .build();
    MetricFamily histogram =
        MetricFamily.newBuilder()
            .setName("step_seconds")
            .setType(MetricType.HISTOGRAM)
            .addMetric(
                Metric.newBuilder()
                    .setHistogram(
                        Histogram.newBuilder()
                            .setSampleCount(3)
                            .setSampleSum(1.5)
                            .addBucket(
                                Bucket.newBuilder().setUpperBound(0.25).setCumulativeCount(1))
                            .addBucket(
                                Bucket.newBuilder().setUpperBound(1.0).setCumulativeCount(2))))
            .build();

    ParseResult result =
        ProtobufExpositionParser.instance().parse(delimited(counter, summary, histogram), 99);

    Map<String, Double> byId = new LinkedHashMap<>();
    for (ParsedSample s : result.samples()) {
      byId.put(SeriesKey.standard().idOf(s.name(), s.labels()), s.value());
    }
    assertThat(byId)
        .containsExactly(
            Map.entry("requests_total{code=\"200\"}", 7.0),
            Map.entry("rpc_seconds{quantile=\"0.5\"}", 0.4),
            Map.entry("rpc_seconds_sum", 2.5),
            Map.entry("rpc_seconds_count", 4.0),
            Map.entry("step_seconds_bucket{le=\"0.25\"}", 1.0),
            Map.entry("step_seconds_bucket{le=\"1\"}", 2.0),
            Map.entry("step_seconds_bucket{le=\"+Inf\"}", 3.0),
            Map.entry("step_seconds_sum", 1.5),
            Map.entry("step_seconds_count", 3.0));
    assertThat(result.samples().get(0).type()).isEqualTo(SampleType.COUNTER);
    assertThat(result.samples().get(0).timestamp()).isEqualTo(1234);
    assertThat(result.samples().get(1).timestamp()).isEqualTo(99);
    assertThat(result.samples().get(4).type()).isEqualTo(SampleType.HISTOGRAM_BUCKET);
    assertThat(result.exemplarsDropped()).isEqualTo(1);
    assertThat(result.families()).startsWith("requests_total", "rpc_seconds");
  }

  @Test
  void badMessagesAreRefusedWithTheirIndex() throws Exception {
    MetricFamily good =
        MetricFamily.newBuilder()
            .setName("ok")
            .setType(MetricType.GAUGE)
            .addMetric(Metric.newBuilder())
            .build();
    MetricFamily badLabel =
        MetricFamily.newBuilder()
            .setName("m")
            .setType(MetricType.GAUGE)
            .addMetric(Metric.newBuilder().addLabel(label("a", "1")).addLabel(label("a", "2")))
            .build();
    assertThatThrownBy(
            () -> ProtobufExpositionParser.instance().parse(delimited(good, badLabel), 0))
        .isInstanceOf(ParseException.class)
        .hasMessage("message 2 (m): duplicate label name \"a\"");
    assertThatThrownBy(() -> ProtobufExpositionParser.instance().parse(new byte[] {9, 1, 2}, 0))
        .isInstanceOf(ParseException.class)
        .hasMessageStartingWith("message 1: ");
    MetricFamily badName =
        MetricFamily.newBuilder().setName("no-dash").setType(MetricType.GAUGE).build();
    assertThatThrownBy(() -> ProtobufExpositionParser.instance().parse(delimited(badName), 0))
        .hasMessage("message 1 (no-dash): invalid metric name \"no-dash\"");
  }

  @Test
  void contentTypeDetection() {
    assertThat(
            ProtobufExpositionParser.handles(
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"))
        .isTrue();
    assertThat(
            ProtobufExpositionParser.handles(
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"))
        .isTrue();
    assertThat(
            ProtobufExpositionParser.handles(
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text"))
        .isFalse();
    assertThat(ProtobufExpositionParser.handles("text/plain")).isFalse();
    assertThat(ProtobufExpositionParser.handles(null)).isFalse();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "1.0, 1",
    "0.005, 0.005",
    "0.25, 0.25",
    "10, 10",
    "0.0001, 0.0001",
    "0.00001, 1e-05",
    "1e21, 1e+21",
    "123456, 123456",
    "-1, -1",
    "0, 0",
    "Infinity, +Inf",
    "-Infinity, -Inf",
    "2.5e-7, 2.5e-07"
  })
  void boundsAreFormattedAsPrometheusDoes(double value, String expected) {
    assertThat(Numbers.formatBound(value)).isEqualTo(expected);
  }
}
