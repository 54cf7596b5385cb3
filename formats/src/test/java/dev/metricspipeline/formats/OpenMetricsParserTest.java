package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.avro.SampleType;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpenMetricsParserTest {

  private static ParseResult parse(String text) throws ParseException {
    return TextFormatParser.openMetrics().parse(text.getBytes(StandardCharsets.UTF_8), 42L);
  }

  @Test
  void typesTimestampsInSecondsAndExemplarsDroppedKnowingly() throws ParseException {
    ParseResult result =
        parse(
            """
            # TYPE a counter
            # HELP a help
            a_total 3 1.5 # {trace_id="abc"} 0.5 1.0
            a_created 1.2 1.5
            # TYPE h histogram
            h_bucket{le="1.0"} 0
            h_bucket{le="+Inf"} 3 # {trace_id="x"} 4
            h_count 3
            h_sum 2
            # TYPE s stateset
            s{s="on"} 1
            # TYPE i info
            i_info{version="1"} 1
            # EOF
            """);
    assertThat(result.exemplarsDropped()).isEqualTo(2);
    assertThat(result.samples())
        .extracting(ParsedSample::type)
        .containsExactly(
            SampleType.COUNTER,
            SampleType.CREATED,
            SampleType.HISTOGRAM_BUCKET,
            SampleType.HISTOGRAM_BUCKET,
            SampleType.HISTOGRAM_COUNT,
            SampleType.HISTOGRAM_SUM,
            SampleType.STATESET,
            SampleType.INFO);
    assertThat(result.samples().get(0).timestamp()).isEqualTo(1500L);
    assertThat(result.samples().get(1).timestamp()).isEqualTo(1500L);
    assertThat(result.samples().get(2).timestamp()).as("no timestamp: the default").isEqualTo(42L);
  }

  @Test
  void repeatedSeriesWithTheSameTimestampIsDroppedAndCounted() throws ParseException {
    ParseResult result = parse("# TYPE a gauge\na 1 0\na 2 0\n# EOF\n");
    assertThat(result.samples()).hasSize(1);
    assertThat(result.duplicatesDropped()).isEqualTo(1);
  }

  @Test
  void hugeTimestampsAreClamped() throws ParseException {
    ParseResult result = parse("a 1 12345678901234567890.5\n# EOF\n");
    assertThat(result.samples().get(0).timestamp()).isEqualTo(Long.MAX_VALUE);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "`a 1` | line 1: missing \"# EOF\" at the end",
        "`` | empty body: missing \"# EOF\" at the end",
        "`a 1\\n\\n# EOF` | line 2, column 1: blank line (OpenMetrics allows none)",
        "`a 1\\n# EOF\\nb 2` | line 3, column 1: text after # EOF",
        "`a  1\\n# EOF` | line 1, column 3: expected a number (or NaN, +Inf, -Inf) as the value, got \" \"",
        "`a 0x1\\n# EOF` | line 1, column 3: expected a number (or NaN, +Inf, -Inf) as the value, got \"0x1\"",
        "`# TYPE a untyped\\n# EOF` | line 1, column 10: expected a type (counter, gauge, gaugehistogram, histogram, info, stateset, summary, unknown), got \"untyped\"",
        "`# TYPE a counter\\na_total -1\\n# EOF` | line 2, column 1: counter-like sample a_total cannot be negative, got -1",
        "`# TYPE a gauge\\na 1 # {} 1\\n# EOF` | line 2, column 1: only histogram buckets and counter totals can have exemplars",
      })
  void refusedWithExactErrors(String input, String error) {
    String body = input.strip().replace("\\n", "\n");
    assertThatThrownBy(() -> parse(body))
        .isInstanceOf(ParseException.class)
        .hasMessage(error.strip());
  }
}
