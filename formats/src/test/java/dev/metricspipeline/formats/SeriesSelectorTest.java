package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SeriesSelectorTest {

  private static final Map<String, String> LABELS = Map.of("job", "api", "code", "503");

  @ParameterizedTest(name = "{0} selects http_requests_total'{'job=api,code=503'}': {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "http_requests_total | true",
        "other_total | false",
        "http_requests_total{job=\"api\"} | true",
        "http_requests_total{job!=\"api\"} | false",
        "http_requests_total{code=~\"5..\"} | true",
        "http_requests_total{code=~\"5\"} | false",
        "http_requests_total{code!~\"5..\"} | false",
        "{__name__=~\"http_.*\"} | true",
        "{__name__=~\"requests\"} | false",
        "http_requests_total{missing=\"\"} | true",
        "http_requests_total{missing!=\"\"} | false",
        "http_requests_total{missing=~\".*\"} | true",
        "http_requests_total { job = 'api' , code=~`5.*` , } | true",
        "{job=\"api\",job=\"other\"} | false",
      })
  void matchers(String selector, boolean selected) {
    assertThat(SeriesSelector.parse(selector).matches("http_requests_total", LABELS))
        .isEqualTo(selected);
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'' | a selector needs a metric name or at least one label matcher",
        "{} | a selector needs a metric name or at least one label matcher",
        "x{job} | expected one of =, !=, =~, !~ after label job",
        "x{job=api} | character 7: expected a quoted label value",
        "x{job=\"api\" | unclosed '{'",
        "x{job=\"api} | unterminated quoted string",
        "x{job=~\"(\"} | invalid regular expression for label job",
        "x{job=\"a\" code=\"b\"} | expected ',' or '}' after a label matcher",
        "rate(x[1m]) | unexpected '('",
        "x{0job=\"a\"} | expected a label name",
      })
  void errorsSayWhatAndWhere(String selector, String message) {
    assertThatThrownBy(() -> SeriesSelector.parse(selector))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @org.junit.jupiter.api.Test
  void escapesAndNonEmptyRule() {
    SeriesSelector s = SeriesSelector.parse("x{path=\"a\\\"b\\\\c\"}");
    assertThat(s.matches("x", Map.of("path", "a\"b\\c"))).isTrue();
    assertThat(s.metricName()).isEqualTo("x");
    assertThat(SeriesSelector.parse("{job=~\".*\"}").hasNonEmptyMatcher()).isFalse();
    assertThat(SeriesSelector.parse("{job=~\".+\"}").hasNonEmptyMatcher()).isTrue();
    assertThat(s.toString()).isEqualTo("{__name__=\"x\",path=\"a\\\"b\\\\c\"}");
  }
}
