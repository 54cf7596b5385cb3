package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InfluxLineParserTest {

  private static ParseResult parse(String precision, String text) throws ParseException {
    return InfluxLineParser.withPrecision(precision)
        .parse(text.getBytes(StandardCharsets.UTF_8), 5_000);
  }

  @Test
  void telegrafLinesMapAsTelegrafsPrometheusSerializerDoes() throws ParseException {
    ParseResult result =
        parse(
            null,
            """
            # Telegraf's influx serializer writes lines like these:
            cpu,cpu=cpu0,host=server01 usage_idle=98.5,usage_user=1.2 1700000000000000000
            mem,host=server01 available=123456i,used_percent=42.5,active=true 1700000000000000000
            system,host=server01 uptime=100u,uptime_format="1 day, 2:03" 1700000000000000000
            weird\\ name,tag\\,key=v\\ a\\=1 f=-1e3
            prometheus,job=node up=1 1700000000000000000
            """);
    Map<String, Double> values = new LinkedHashMap<>();
    for (MetricSample s : result.samples()) {
      values.put(SeriesKey.standard().idOf(s), s.getValue());
    }
    assertThat(values)
        .containsExactly(
            Map.entry("cpu_usage_idle{cpu=\"cpu0\",host=\"server01\"}", 98.5),
            Map.entry("cpu_usage_user{cpu=\"cpu0\",host=\"server01\"}", 1.2),
            Map.entry("mem_available{host=\"server01\"}", 123456.0),
            Map.entry("mem_used_percent{host=\"server01\"}", 42.5),
            Map.entry("mem_active{host=\"server01\"}", 1.0),
            Map.entry("system_uptime{host=\"server01\"}", 100.0),
            Map.entry("weird_name_f{tag_key=\"v a=1\"}", -1000.0),
            Map.entry("up{job=\"node\"}", 1.0));
    assertThat(result.samples().get(0).getTimestamp()).isEqualTo(1_700_000_000_000L);
    assertThat(result.samples().get(6).getTimestamp())
        .as("no timestamp: receive time")
        .isEqualTo(5_000L);
    assertThat(result.exemplarsDropped()).as("string fields skipped").isEqualTo(1);
  }

  @Test
  void precisionScalesTimestamps() throws ParseException {
    assertThat(parse("s", "m v=1 1700000000").samples().get(0).getTimestamp())
        .isEqualTo(1_700_000_000_000L);
    assertThat(parse("ms", "m v=1 1700000000123").samples().get(0).getTimestamp())
        .isEqualTo(1_700_000_000_123L);
    assertThat(parse("us", "m v=1 1700000000123456").samples().get(0).getTimestamp())
        .isEqualTo(1_700_000_000_123L);
    assertThatThrownBy(() -> InfluxLineParser.withPrecision("x"))
        .hasMessage("precision must be one of ns, us, ms, s, m, h; got \"x\"");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "`cpu usage=`                | line 1, column 11: expected a field value (number, 1i, 1u, true/false or \"string\"), got end of line",
        "`cpu,host usage=1`          | line 1, column 9: expected '=' after tag key host, got \" \"",
        "`cpu usage=abc`             | line 1, column 11: expected a field value (number, 1i, 1u, true/false or \"string\"), got \"abc\"",
        "`cpu usage=1 12x`           | line 1, column 13: expected an integer timestamp in nanoseconds, got \"12x\"",
        "`cpu`                       | line 1, column 4: expected ' ' before the fields, got end of line",
        "`ok v=1\\n,x=1 v=1`         | line 2, column 1: expected a measurement name, got \",\"",
        "`cpu s=\"open`              | line 1, column 12: expected '\"' to end the string field, got end of line",
      })
  void refusedWithExactErrors(String input, String error) {
    String body = input.replace("\\n", "\n");
    assertThatThrownBy(() -> parse(null, body))
        .isInstanceOf(ParseException.class)
        .hasMessage(error.strip());
  }
}
