package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.metricspipeline.formats.internal.LineScanner;

/**
 * Every parser on arbitrary bytes: the only exception that may escape is the declared {@link
 * ParseException} (its {@link LimitExceededException} included), and what parses is well formed
 * (metric and label names valid, one family per sample). Under plain JUnit each method replays its
 * committed corpus in {@code src/test/resources/.../ParsersFuzzTestInputs/<method>/}; with {@code
 * JAZZER_FUZZ=1} Jazzer fuzzes one method ({@code -Dtest=ParsersFuzzTest#influx}) and adds what it
 * finds to that directory (see {@code bench/README.md}).
 */
class ParsersFuzzTest {

  private static void parse(MetricsParser parser, byte[] data) {
    ParseResult result;
    try {
      result = parser.parse(data, 1_700_000_000_000L);
    } catch (ParseException expected) {
      assertThat(expected.getMessage()).isNotBlank();
      return;
    }
    assertThat(result.families()).hasSameSizeAs(result.samples());
    for (ParsedSample sample : result.samples()) {
      assertThat(LineScanner.isMetricName(sample.name()))
          .as("metric name %s", sample.name())
          .isTrue();
      for (String label : sample.labels().keySet()) {
        assertThat(LineScanner.isLabelName(label)).as("label name %s", label).isTrue();
      }
    }
  }

  @FuzzTest(maxDuration = "60s")
  void prometheusText(byte[] data) {
    parse(TextFormatParser.prometheus(), data);
  }

  @FuzzTest(maxDuration = "60s")
  void openMetrics(byte[] data) {
    parse(TextFormatParser.openMetrics(), data);
  }

  @FuzzTest(maxDuration = "60s")
  void protobufExposition(byte[] data) {
    parse(ProtobufExpositionParser.instance(), data);
  }

  /** The snappy framing and the protobuf decoding of remote_write, with a small size limit. */
  @FuzzTest(maxDuration = "60s")
  void remoteWrite(byte[] data) {
    parse(new RemoteWriteParser(1 << 20), data);
  }

  @FuzzTest(maxDuration = "60s")
  void influx(byte[] data) {
    parse(InfluxLineParser.withPrecision("ns"), data);
  }

  @FuzzTest(maxDuration = "60s")
  void kafkaAdapterJson(byte[] data) {
    parse(KafkaAdapterJsonParser.instance(), data);
  }
}
