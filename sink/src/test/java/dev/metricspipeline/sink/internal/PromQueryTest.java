package dev.metricspipeline.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.formats.PromDurations;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PromQueryTest {

  private static final String RES = "1m, 5m, 1h";

  @Test
  void aRangeFunctionOverASelector() {
    PromQuery q = PromQuery.parse("max_over_time(job_duration_seconds{job=~\"batch.*\"}[1m])", RES);
    assertThat(q.function()).isEqualTo(PromQuery.Function.MAX_OVER_TIME);
    assertThat(q.rangeMs()).isEqualTo(60_000);
    assertThat(q.selector().matches("job_duration_seconds", Map.of("job", "batch_job"))).isTrue();
    assertThat(q.selector().matches("job_duration_seconds", Map.of("job", "web"))).isFalse();
    assertThat(PromQuery.parse(" rate ( x{a=\"[\"} [ 1h ] ) ", RES).rangeMs()).isEqualTo(3_600_000);
  }

  @Test
  void numberLiteralsForGrafanasHealthCheck() {
    assertThat(PromQuery.parse("1+1", RES).scalar()).isEqualTo(2.0);
    assertThat(PromQuery.parse("42", RES).isScalar()).isTrue();
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "sum(rate(x[1m])) | unsupported function sum: this API answers fn(selector[range]) with fn one of min_over_time, max_over_time, sum_over_time, count_over_time, avg_over_time, last_over_time, increase, rate and range one of the rollup resolutions (1m, 5m, 1h)",
        "x | unsupported query \"x\": this API answers",
        "rate(x) | rate needs a range selector like x[1m]",
        "rate(x[1x]) | bad range in \"rate(x[1x])\": not a duration: \"1x\"",
        "rate({job=~\".*\"}[1m]) | vector selector must contain at least one non-empty matcher",
        "rate(x{job=a}[1m]) | expected a quoted label value",
      })
  void unsupportedQueriesSayWhatIsSupported(String query, String message) {
    assertThatThrownBy(() -> PromQuery.parse(query, RES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void durationsAndTimes() {
    assertThat(PromDurations.parse("1h30m")).isEqualTo(5_400_000);
    assertThat(PromDurations.parse("100ms")).isEqualTo(100);
    assertThat(PromDurations.parseStep("15.5")).isEqualTo(15_500);
    assertThat(PromDurations.parseStep("1m")).isEqualTo(60_000);
    assertThat(PromDurations.parseTime("1764000000.5")).isEqualTo(1_764_000_000_500L);
    assertThat(PromDurations.parseTime("2025-11-24T16:00:00Z")).isEqualTo(1_764_000_000_000L);
    assertThat(PromDurations.format(5_400_000)).isEqualTo("1h30m");
    assertThatThrownBy(() -> PromDurations.parseTime("yesterday"))
        .hasMessageContaining("cannot parse \"yesterday\" to a valid timestamp");
    assertThat(QueryServer.format(12.5)).isEqualTo("12.5");
    assertThat(QueryServer.format(1.0)).isEqualTo("1");
    assertThat(QueryServer.format(1e21)).isEqualTo("1000000000000000000000");
    assertThat(QueryServer.format(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(QueryServer.format(Double.NaN)).isEqualTo("NaN");
  }
}
