package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KafkaAdapterJsonParserTest {

  private static ParseResult parse(String json) throws ParseException {
    return KafkaAdapterJsonParser.instance().parse(json.getBytes(StandardCharsets.UTF_8), 7L);
  }

  @Test
  void theAdaptersLayout() throws Exception {
    ParsedSample s =
        parse(
                "{\"timestamp\":\"1970-01-01T00:00:00Z\",\"value\":\"9876543210\",\"name\":\"up\","
                    + "\"labels\":{\"__name__\":\"up\",\"label1\":\"value1\",\"label2\":\"value2\"}}")
            .samples()
            .get(0);
    assertThat(s.name()).isEqualTo("up");
    assertThat(s.labels()).isEqualTo(Map.of("label1", "value1", "label2", "value2"));
    assertThat(s.value()).isEqualTo(9876543210.0);
    assertThat(s.timestamp()).isZero();
  }

  @Test
  void specialValuesAndSeveralLines() throws Exception {
    ParseResult r =
        parse(
            "{\"timestamp\":\"2025-11-24T16:00:00.250Z\",\"value\":\"+Inf\",\"name\":\"a\",\"labels\":{}}\n"
                + "{\"timestamp\":\"2025-11-24T17:00:00+01:00\",\"value\":\"NaN\",\"name\":\"b\"}\n");
    assertThat(r.samples()).hasSize(2);
    assertThat(r.samples().get(0).value()).isInfinite();
    assertThat(r.samples().get(0).timestamp()).isEqualTo(1_764_000_000_250L);
    assertThat(r.samples().get(1).value()).isNaN();
    assertThat(r.samples().get(1).timestamp()).isEqualTo(1_764_000_000_000L);
  }

  /**
   * Found by fuzzing: a message with two samples of one metric was refused with an internal error.
   */
  @Test
  void severalSamplesOfOneMetricInAMessage() throws Exception {
    ParseResult r =
        parse(
            "{\"timestamp\":\"2025-11-24T16:00:00Z\",\"value\":\"1\",\"name\":\"up\",\"labels\":{\"job\":\"a\"}}\n"
                + "{\"timestamp\":\"2025-11-24T16:00:00Z\",\"value\":\"0\",\"name\":\"up\",\"labels\":{\"job\":\"b\"}}\n");
    assertThat(r.samples()).hasSize(2);
    assertThat(r.families()).containsExactly("up", "up");
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'{\"value\":\"1\",\"name\":\"a\"}' | line 1: missing \"timestamp\"",
        "'{\"timestamp\":\"x\",\"value\":\"1\",\"name\":\"a\"}' | line 1: \"timestamp\" is not RFC 3339: \"x\"",
        "'{\"timestamp\":\"1970-01-01T00:00:00Z\",\"value\":1,\"name\":\"a\"}' | line 1: \"value\" must be a string",
        "'{\"timestamp\":\"1970-01-01T00:00:00Z\",\"value\":\"one\",\"name\":\"a\"}' | line 1: \"value\" is not a number: \"one\"",
        "'{\"timestamp\":\"1970-01-01T00:00:00Z\",\"value\":\"1\",\"name\":\"a\",\"labels\":{\"__name__\":\"b\"}}' | line 1: \"name\" a and label __name__ b differ",
        "'{\"timestamp\":\"1970-01-01T00:00:00Z\",\"value\":\"1\",\"name\":\"a-b\"}' | line 1: invalid metric name \"a-b\"",
        "'not json' | line 1: not JSON",
        "'{\"timestamp\":\"1970-01-01T00:00:00Z\",\"value\":\"1\",\"name\":\"a\"}x' | line 1: not JSON: Unrecognized token 'x'",
        "'{\"timestamp\":\"1970-01-01T00:00:00Z\",\"value\":\"1\",\"name\":\"a\",\"labels\":{\"job\":\"x\",\"job\":\"y\"}}' | line 1: not JSON: Duplicate field 'job'",
        "'' | no sample in the message",
      })
  void badMessagesSayWhy(String json, String message) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(ParseException.class)
        .hasMessageStartingWith(message);
  }
}
