package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.metricspipeline.schemas.avro.SampleType;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PrometheusTextParserTest {

  private static final long NOW = 1_700_000_000_000L;

  private static List<ParsedSample> parse(String text) throws ParseException {
    return TextFormatParser.prometheus()
        .parse(text.getBytes(StandardCharsets.UTF_8), NOW)
        .samples();
  }

  @Test
  void theSeedPush() throws ParseException {
    List<ParsedSample> samples = parse("job_duration_seconds 12.5");
    assertThat(samples).hasSize(1);
    ParsedSample s = samples.get(0);
    assertThat(s.name()).isEqualTo("job_duration_seconds");
    assertThat(s.labels()).isEmpty();
    assertThat(s.value()).isEqualTo(12.5);
    assertThat(s.type()).isEqualTo(SampleType.UNTYPED);
    assertThat(s.timestamp()).isEqualTo(NOW);
  }

  @Test
  void typesLabelsEscapesTimestampsAndSpecialValues() throws ParseException {
    String text =
        """
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000

        # Escaping in label values:
        msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

        # Minimalistic line:
        metric_without_timestamp_and_labels 12.47

        # A weird metric from before the epoch:
        something_weird{problem="division by zero"} +Inf -3982045

        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{le="0.05"} 24054
        http_request_duration_seconds_bucket{le="+Inf"} 144320
        http_request_duration_seconds_sum 53423
        http_request_duration_seconds_count 144320

        # TYPE rpc_duration_seconds summary
        rpc_duration_seconds{quantile="0.5"} 4773
        rpc_duration_seconds_sum 1.7560473e+07
        rpc_duration_seconds_count 2693
        gauge_with_trailing_comma{a="b",} NaN
        """;
    List<ParsedSample> samples = parse(text);
    assertThat(samples)
        .extracting(ParsedSample::name, ParsedSample::type)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("http_requests_total", SampleType.COUNTER),
            org.assertj.core.groups.Tuple.tuple("http_requests_total", SampleType.COUNTER),
            org.assertj.core.groups.Tuple.tuple(
                "msdos_file_access_time_seconds", SampleType.UNTYPED),
            org.assertj.core.groups.Tuple.tuple(
                "metric_without_timestamp_and_labels", SampleType.UNTYPED),
            org.assertj.core.groups.Tuple.tuple("something_weird", SampleType.UNTYPED),
            org.assertj.core.groups.Tuple.tuple(
                "http_request_duration_seconds_bucket", SampleType.HISTOGRAM_BUCKET),
            org.assertj.core.groups.Tuple.tuple(
                "http_request_duration_seconds_bucket", SampleType.HISTOGRAM_BUCKET),
            org.assertj.core.groups.Tuple.tuple(
                "http_request_duration_seconds_sum", SampleType.HISTOGRAM_SUM),
            org.assertj.core.groups.Tuple.tuple(
                "http_request_duration_seconds_count", SampleType.HISTOGRAM_COUNT),
            org.assertj.core.groups.Tuple.tuple(
                "rpc_duration_seconds", SampleType.SUMMARY_QUANTILE),
            org.assertj.core.groups.Tuple.tuple("rpc_duration_seconds_sum", SampleType.SUMMARY_SUM),
            org.assertj.core.groups.Tuple.tuple(
                "rpc_duration_seconds_count", SampleType.SUMMARY_COUNT),
            org.assertj.core.groups.Tuple.tuple("gauge_with_trailing_comma", SampleType.UNTYPED));
    assertThat(samples.get(0).labels()).isEqualTo(Map.of("method", "post", "code", "200"));
    assertThat(samples.get(0).timestamp()).isEqualTo(1395066363000L);
    assertThat(samples.get(2).labels())
        .containsEntry("path", "C:\\DIR\\FILE.TXT")
        .containsEntry("error", "Cannot find file:\n\"FILE.TXT\"");
    assertThat(samples.get(4).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(samples.get(4).timestamp()).isEqualTo(-3982045L);
    assertThat(samples.get(12).value()).isNaN();
    assertThat(samples.get(3).timestamp()).isEqualTo(NOW);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "`a{b='c'} 1` | line 1, column 5: expected '\"' to start the value of label b, got \"'\"",
        "`a{b=\"c\" 1` | line 1, column 9: expected ',' or '}' after label value, got \"1\"",
        "`a 1\\nb{1=\"x\"} 2` | line 2, column 3: expected label name, got \"1\"",
        "`a 0x1p-3` | line 1, column 3: expected a number (or NaN, +Inf, -Inf) as the value, got \"0x1p-3\"",
        "`a 1 1.5` | line 1, column 5: expected a timestamp in milliseconds (an integer), got \"1.5\"",
        "`a 1 2 3` | line 1, column 7: expected end of line after the timestamp, got \"3\"",
        "`a` | line 1, column 2: expected a number (or NaN, +Inf, -Inf) as the value, got end of line",
        "`1a 1` | line 1, column 1: expected metric name, got \"1\"",
        "`a# 1` | line 1, column 2: expected a blank or '{' after the metric name, got \"#\"",
        "`a{b=\"c\"}x 1` | line 1, column 9: expected a number (or NaN, +Inf, -Inf) as the value, got \"x\"",
        "`a{x=\"1\",x=\"2\"} 1` | line 1, column 9: duplicate label name \"x\"",
        "`a 1\\na 2` | line 2, column 1: duplicate sample for a{} (first on line 1)",
        "`a{z=\"1\",b=\"2\"} 1\\na{b=\"2\",z=\"1\"} 2` | line 2, column 1: duplicate sample for a{b=2, z=1} (first on line 1)",
        "`# TYPE a gauge\\n# TYPE a counter\\na 1` | line 2: second TYPE line for metric a",
        "`a 1\\n# TYPE a gauge` | line 2: TYPE line for metric a after its samples",
        "`# TYPE a gaugy` | line 1, column 10: expected a type (counter, gauge, histogram, summary, untyped), got \"gaugy\"",
        "`# TYPE a histogram\\na_bucket 1` | line 2, column 1: histogram bucket a_bucket needs an \"le\" label with a number",
        "`# TYPE a summary\\na 1` | line 2, column 1: summary a sample needs a \"quantile\" label with a number",
        "`# HELP a x\\n# HELP a y` | line 2: second HELP line for metric a",
        // CRLF line ends: one '\\r' before the '\\n' is not part of the line, a second one is.
        "`a 1\\r\\nb 2 3 4\\r\\n` | line 2, column 7: expected end of line after the timestamp, got \"4\"",
        "`a 1\\r\\n# HELP\\r\\n` | line 2, column 7: expected a blank and a metric name after HELP, got end of line",
        "`a 1\\r\\nb 2\\r\\r\\n` | line 2, column 3: expected a number (or NaN, +Inf, -Inf) as the value, got \"2\\r\"",
      })
  void refusedWithExactErrors(String input, String error) throws ParseException {
    String body = input.strip().replace("\\n", "\n").replace("\\r", "\r");
    assertThatThrownBy(() -> parse(body))
        .isInstanceOf(ParseException.class)
        .hasMessage(error.strip());
    // The same with a series text cache, empty and then holding the series the body names: a
    // cached series text skips label parsing, never the checks of the rest of the line or body.
    SeriesTextCache cache = new SeriesTextCache();
    assertThatThrownBy(() -> parse(body, cache))
        .isInstanceOf(ParseException.class)
        .hasMessage(error.strip());
    parse(
        "# HELP a A.\n# TYPE a counter\n# HELP b B.\n# TYPE b gauge\n"
            + "a 1\na_bucket 1\nb 2\na{b=\"c\"} 3\nb{x=\"1\"} 4\n",
        cache);
    assertThat(cache.size()).isEqualTo(5);
    assertThatThrownBy(() -> parse(body, cache))
        .isInstanceOf(ParseException.class)
        .hasMessage(error.strip());
    assertThat(cache.size()).as("a failed parse leaves the cache as it was").isEqualTo(5);
  }

  private static List<ParsedSample> parse(String text, SeriesTextCache cache)
      throws ParseException {
    return TextFormatParser.prometheus()
        .parse(text.getBytes(StandardCharsets.UTF_8), NOW, cache)
        .samples();
  }

  @Test
  void aSeriesTextCacheGivesTheSameSamplesAndSharesTheLabelsOfRepeatedSeries() throws Exception {
    byte[] capture = nodeExporterCapture();
    String body =
        new String(capture, StandardCharsets.UTF_8)
            + "braces{a=\"}\",b=\"\\\"}\"} 1\n"
            + "braces  {a=\"{\"} 2\n"
            + "# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\n";
    List<ParsedSample> plain = parse(body);
    SeriesTextCache cache = new SeriesTextCache();
    List<ParsedSample> cold = parse(body, cache);
    List<ParsedSample> warm = parse(body, cache);
    assertThat(cold).isEqualTo(plain);
    assertThat(warm).isEqualTo(plain);
    assertThat(cache.size()).isEqualTo(plain.size());
    assertThat(plain.get(plain.size() - 4).labels())
        .containsExactly(Map.entry("a", "}"), Map.entry("b", "\"}"));
    for (int i = 0; i < plain.size(); i++) {
      ParsedSample s = warm.get(i);
      // Bucket and quantile labels too: their bounds are rewritten once, not per body.
      assertThat(s.labels()).as("labels of %s", s).isSameAs(cold.get(i).labels());
    }
    // A body with other series: the new texts are parsed, the ones gone are forgotten.
    List<ParsedSample> next = parse("braces{a=\"{\"} 3\nnew_one{x=\"y\"} 4\n", cache);
    assertThat(next.get(1).labels()).containsExactly(Map.entry("x", "y"));
    assertThat(cache.size()).isEqualTo(2);
    // The same series in another order: found by text, not by position.
    List<ParsedSample> swapped = parse("new_one{x=\"y\"} 5\nbraces{a=\"{\"} 6\n", cache);
    assertThat(swapped.get(0).labels()).isSameAs(next.get(1).labels());
    assertThat(swapped.get(1).labels()).isSameAs(next.get(0).labels());
    assertThat(swapped).extracting(ParsedSample::name).containsExactly("new_one", "braces");
    assertThat(swapped).extracting(ParsedSample::value).containsExactly(5.0, 6.0);
  }

  @Test
  void theCacheComparesBodiesInPlaceWhetherOrNotTheyAreAllAscii() throws ParseException {
    // The cache keeps an ASCII body's bytes, another body's string: each pair of the two kinds
    // (ASCII after ASCII, not after ASCII, and so on) compares the same series in place.
    String ascii = "a{x=\"1\"} 1\nb{y=\"2\"} 2\n";
    String notAscii = "# \u00e9t\u00e9\n" + ascii; // the same series texts after a comment
    SeriesTextCache cache = new SeriesTextCache();
    List<ParsedSample> first = parse(ascii, cache);
    for (String body : List.of(notAscii, notAscii, ascii, notAscii, ascii, ascii)) {
      List<ParsedSample> again = parse(body, cache);
      assertThat(again).as(body).isEqualTo(parse(body));
      for (int i = 0; i < again.size(); i++) {
        assertThat(again.get(i).labels()).as(body).isSameAs(first.get(i).labels());
      }
    }
    // A text of the same length at the same place that differs is parsed, whatever the two
    // bodies' kinds: ASCII after ASCII, not after ASCII, ASCII after not.
    for (String x : List.of("3", "4", "5")) {
      String line = "a{x=\"" + x + "\"} 1\n";
      String body = x.equals("4") ? "# \u00e9\n" + line : line;
      List<ParsedSample> changed = parse(body, cache);
      assertThat(changed).as(body).isEqualTo(parse(body));
      assertThat(changed.get(0).labels().get("x")).isEqualTo(x);
    }
  }

  @Test
  void aSeriesRepeatedInPlaceIsStillADuplicate() throws ParseException {
    SeriesTextCache cache = new SeriesTextCache();
    // One series twice, at two timestamps: allowed, and both texts are kept in place.
    assertThat(parse("a 1 1000\na 2 2000\nb 3\n", cache)).hasSize(3);
    // The same lines without timestamps each find their text at their own position.
    assertThatThrownBy(() -> parse("a 1\na 2\nb 3\n", cache))
        .isInstanceOf(ParseException.class)
        .hasMessage("line 2, column 1: duplicate sample for a{} (first on line 1)");

    // A body of different series, then a line repeating one of them after a run found in place.
    assertThat(parse("a 1\nb 2\nc 3\n", cache)).hasSize(3);
    assertThat(parse("a 1\nb 2\nc 3\n", cache)).hasSize(3);
    assertThatThrownBy(() -> parse("a 1\nb 2\nc 3\nb 4\n", cache))
        .isInstanceOf(ParseException.class)
        .hasMessage("line 4, column 1: duplicate sample for b{} (first on line 2)");
    assertThatThrownBy(() -> parse("a 1\nb 2\nc 3\nb{} 4\n", cache))
        .isInstanceOf(ParseException.class)
        .hasMessage("line 4, column 1: duplicate sample for b{} (first on line 2)");
  }

  @Test
  void bucketBoundsAndQuantilesAreNormalizedAsPrometheusDoes() throws ParseException {
    List<ParsedSample> samples =
        parse(
            "# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                + "# TYPE s summary\ns{quantile=\"0.50\"} 3\n");
    assertThat(samples)
        .extracting(s -> s.labels().getOrDefault("le", s.labels().get("quantile")))
        .containsExactly("1", "+Inf", "0.5");
  }

  @Test
  void helpAndTypeLinesNameTheirMetricAsWrittenWithTheCache() throws ParseException {
    // The last body's names are guesses compared in place: a longer name, a shorter one and
    // another one at the same position are each read as written.
    String[] bodies = {
      "# HELP foo Foo.\n# TYPE foo counter\nfoo 1\n",
      "# HELP foo_total Foo.\n# TYPE foo_total summary\nfoo_total_sum 1\n",
      "# HELP fo Fo.\n# TYPE fo gauge\nfo 1\n",
      "# HELP foo Foo.\n# TYPE foo\tcounter\nfoo 1\n",
    };
    SeriesTextCache cache = new SeriesTextCache();
    for (String body : List.of(bodies[0], bodies[1], bodies[2], bodies[3], bodies[3], bodies[0])) {
      ParseResult cached =
          TextFormatParser.prometheus().parse(body.getBytes(StandardCharsets.UTF_8), NOW, cache);
      ParseResult plain =
          TextFormatParser.prometheus().parse(body.getBytes(StandardCharsets.UTF_8), NOW);
      assertThat(cached.samples()).as(body).isEqualTo(plain.samples());
      assertThat(cached.families()).as(body).isEqualTo(plain.families());
    }
    assertThat(parse(bodies[1], cache).get(0).type()).isEqualTo(SampleType.SUMMARY_SUM);
    // A name the guess is a prefix of, run on into a character no name has: refused as without it.
    assertThatThrownBy(() -> parse("# TYPE foo+ counter\nfoo 1\n", cache))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("line 1")
        .hasMessage(catchThrowable(() -> parse("# TYPE foo+ counter\nfoo 1\n")).getMessage());
    assertThatThrownBy(() -> parse("# TYPE foo counters\nfoo 1\n", cache))
        .isInstanceOf(ParseException.class)
        .hasMessageContaining("a type (counter, gauge, histogram, summary, untyped)");
  }

  @Test
  void aCachedSeriesGetsTheBoundOfItsTypeInEachBody() throws ParseException {
    // One series text, a histogram bucket in one body and a summary quantile in the other: each
    // body rewrites the bound its type has, with the cache as without it.
    String asBucket = "# TYPE x histogram\nx_bucket{le=\"1.0\",quantile=\"2.0\"} 1\n";
    String asQuantile = "# TYPE x_bucket summary\nx_bucket{le=\"1.0\",quantile=\"2.0\"} 1\n";
    SeriesTextCache cache = new SeriesTextCache();
    for (String body : List.of(asBucket, asQuantile, asBucket, asQuantile)) {
      assertThat(parse(body, cache)).as(body).isEqualTo(parse(body));
    }
    assertThat(parse(asBucket, cache).get(0).labels())
        .containsExactly(Map.entry("le", "1"), Map.entry("quantile", "2.0"));
    assertThat(parse(asQuantile, cache).get(0).labels())
        .containsExactly(Map.entry("le", "1.0"), Map.entry("quantile", "2"));
  }

  private static byte[] nodeExporterCapture() throws java.io.IOException {
    try (java.io.InputStream in =
        PrometheusTextParserTest.class.getResourceAsStream("/fixtures/node_exporter_1.5.0.txt")) {
      return in.readAllBytes();
    }
  }

  @Test
  void aRealNodeExporterCaptureParses() throws Exception {
    byte[] capture = nodeExporterCapture();
    List<ParsedSample> samples = TextFormatParser.prometheus().parse(capture, NOW).samples();
    assertThat(samples).hasSize(503);
    assertThat(samples)
        .filteredOn(s -> s.name().equals("go_gc_duration_seconds"))
        .extracting(ParsedSample::type)
        .containsOnly(SampleType.SUMMARY_QUANTILE);
    assertThat(samples)
        .filteredOn(s -> s.name().equals("node_cpu_seconds_total"))
        .extracting(ParsedSample::type)
        .containsOnly(SampleType.COUNTER);
  }

  @Test
  void invalidUtf8IsRefusedWithItsLine() {
    byte[] body = {'a', ' ', '1', '\n', 'b', '{', 'x', '=', '"', (byte) 0xff, '"', '}', ' ', '1'};
    assertThatThrownBy(() -> TextFormatParser.prometheus().parse(body, NOW))
        .isInstanceOf(ParseException.class)
        .hasMessage("line 2: invalid UTF-8 at byte offset 9");
  }

  @Test
  void aRealReplacementCharacterIsTakenAndNonAsciiTextKept() throws ParseException {
    // U+FFFD is what the decoder puts for malformed input; written as UTF-8 it is a valid value.
    byte[] body = "a{x=\"\uFFFD\",y=\"日本\"} 1\n".getBytes(StandardCharsets.UTF_8);
    List<ParsedSample> samples = TextFormatParser.prometheus().parse(body, NOW).samples();
    assertThat(samples)
        .extracting(ParsedSample::labels)
        .containsExactly(Map.of("x", "\uFFFD", "y", "日本"));
    // With a real one before it, a malformed byte is still refused.
    byte[] both = Arrays.copyOf(body, body.length + 4);
    both[body.length] = 'b';
    both[body.length + 1] = ' ';
    both[body.length + 2] = (byte) 0xff;
    both[body.length + 3] = '\n';
    assertThatThrownBy(() -> TextFormatParser.prometheus().parse(both, NOW))
        .isInstanceOf(ParseException.class)
        .hasMessage("line 2: invalid UTF-8 at byte offset " + (body.length + 2));
  }

  @Test
  void aTypeLineBetweenSamplesOfOneNameTypesTheOnesAfterIt() throws ParseException {
    // foo_count is its own untyped family until "# TYPE foo summary" makes it foo's count.
    String body = "foo_count{a=\"1\"} 1\n# TYPE foo summary\nfoo_count{a=\"2\"} 2\n";
    SeriesTextCache cache = new SeriesTextCache();
    for (int i = 0; i < 2; i++) {
      ParseResult result =
          TextFormatParser.prometheus()
              .parse(body.getBytes(StandardCharsets.UTF_8), NOW, i == 0 ? null : cache);
      assertThat(result.samples())
          .extracting(ParsedSample::type)
          .containsExactly(SampleType.UNTYPED, SampleType.SUMMARY_COUNT);
      assertThat(result.families()).containsExactly("foo_count", "foo");
    }
  }

  @Test
  void contentTypeChoosesTheDialect() {
    assertThat(
            TextFormatParser.forContentType(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8")
                .dialect())
        .isEqualTo(TextFormatParser.Dialect.OPENMETRICS_1_0);
    assertThat(TextFormatParser.forContentType("text/plain; version=0.0.4").dialect())
        .isEqualTo(TextFormatParser.Dialect.PROMETHEUS_TEXT_0_0_4);
    assertThat(TextFormatParser.forContentType("application/x-www-form-urlencoded").dialect())
        .isEqualTo(TextFormatParser.Dialect.PROMETHEUS_TEXT_0_0_4);
    assertThat(TextFormatParser.forContentType(null).dialect())
        .isEqualTo(TextFormatParser.Dialect.PROMETHEUS_TEXT_0_0_4);
  }
}
