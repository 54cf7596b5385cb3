package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.SeriesKey;
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
    for (ParsedSample s : result.samples()) {
      values.put(SeriesKey.standard().idOf(s.name(), s.labels()), s.value());
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
    assertThat(result.samples().get(0).timestamp()).isEqualTo(1_700_000_000_000L);
    assertThat(result.samples().get(6).timestamp())
        .as("no timestamp: receive time")
        .isEqualTo(5_000L);
    assertThat(result.exemplarsDropped()).as("string fields skipped").isEqualTo(1);
  }

  @Test
  void precisionScalesTimestamps() throws ParseException {
    assertThat(parse("s", "m v=1 1700000000").samples().get(0).timestamp())
        .isEqualTo(1_700_000_000_000L);
    assertThat(parse("ms", "m v=1 1700000000123").samples().get(0).timestamp())
        .isEqualTo(1_700_000_000_123L);
    assertThat(parse("us", "m v=1 1700000000123456").samples().get(0).timestamp())
        .isEqualTo(1_700_000_000_123L);
    assertThatThrownBy(() -> InfluxLineParser.withPrecision("x"))
        .hasMessage("precision must be one of ns, us, ms, s, m, h; got \"x\"");
  }

  /**
   * InfluxDB accepts these (its {@code models/points.go} grammar); so must we, with these values.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "`m  v=1`                                  | m_v=1.0@5000",
        "`m,t=a   v=1    1700000000000000000`      | m_v{t=\"a\"}=1.0@1700000000000",
        "`m v=1 1700000000000000000   `            | m_v=1.0@1700000000000",
        "`m v=1   `                                | m_v=1.0@5000",
        "`  m v=1`                                 | m_v=1.0@5000",
        "`m v=1\t1700000000000000000`              | m_v=1.0@1700000000000",
        "`m s=\"a\\nb\",v=2`                        | m_v=2.0@5000",
        "`m s=\"a\\\"b c=d\",v=3`                 | m_v=3.0@5000",
        "`m v=-1.5e-3`                             | m_v=-0.0015@5000",
        "`m v=.5`                                  | m_v=0.5@5000",
        "`m v=1.`                                  | m_v=1.0@5000",
        "`m v=-9223372036854775808i`               | m_v=-9.223372036854776E18@5000",
        "`m v=18446744073709551615u`               | m_v=1.8446744073709552E19@5000",
        "`m v=T,w=False`                           | m_v=1.0@5000 m_w=0.0@5000",
        "`m\\,x,t\\ k=v\\=1 f=1`                    | m_x_f{t_k=\"v=1\"}=1.0@5000",
        "`m,t=a\\\\b v=1`                           | m_v{t=\"a\\\\\\\\b\"}=1.0@5000",
        "`m,city=Zürich v=1`                       | m_v{city=\"Zürich\"}=1.0@5000",
        "`m v=1 -1000000000`                       | m_v=1.0@-1000",
      })
  void acceptedAsInfluxDbAcceptsThem(String input, String expected) throws ParseException {
    String body = input.replace("\\n", "\n").replace("\\t", "\t");
    StringBuilder got = new StringBuilder();
    for (ParsedSample s : parse(null, body).samples()) {
      got.append(got.length() == 0 ? "" : " ")
          .append(SeriesKey.standard().idOf(s.name(), s.labels()))
          .append('=')
          .append(s.value())
          .append('@')
          .append(s.timestamp());
    }
    assertThat(got.toString()).isEqualTo(expected.strip());
  }

  @Test
  void aNewlineInsideAStringFieldDoesNotEndTheLineAndLinesAreStillCounted() {
    assertThatThrownBy(() -> parse(null, "m s=\"one\ntwo\",v=1\nm v=2\nm v=x\n"))
        .hasMessage(
            "line 4, column 5: expected a field value (number, 1i, 1u, true/false or \"string\"),"
                + " got \"x\"");
  }

  @Test
  void invalidUtf8IsRefusedNamingWhere() {
    byte[] body = {
      'm', ' ', 'v', '=', '1', '\n', 'm', ',', 't', '=', (byte) 0xff, ' ', 'v', '=', '1'
    };
    assertThatThrownBy(() -> InfluxLineParser.withPrecision("ns").parse(body, 0))
        .isInstanceOf(ParseException.class)
        .hasMessage(
            "line 2, column 5: invalid UTF-8: byte 0xff does not start or continue a character");
  }

  /** InfluxDB refuses these; so must we, quoting what is wrong. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "`m,t=a,t=b v=1`                 | line 1, column 7: duplicate tag key \"t\"",
        "`m,a.b=1,a_b=2 v=1`             | line 1, column 9: tag keys \"a.b\" and \"a_b\" both become label a_b",
        "`m,t=a=b v=1`                   | line 1, column 6: invalid tag value for t: unescaped '='",
        "`m v=-1u`                       | line 1, column 5: field v: unsigned integer -1u is negative",
        "`m v=18446744073709551616u`     | line 1, column 5: field v: unsigned integer 18446744073709551616u is out of range for an unsigned 64-bit integer",
        "`m v=9223372036854775808i`      | line 1, column 5: field v: integer 9223372036854775808i is out of range for a signed 64-bit integer",
        "`m v=1e400`                     | line 1, column 5: field v: float 1e400 is out of range for a 64-bit float",
        "`m v=NaN`                       | line 1, column 5: expected a field value (number, 1i, 1u, true/false or \"string\"), got \"NaN\"",
        "`m v=-Inf`                      | line 1, column 5: expected a field value (number, 1i, 1u, true/false or \"string\"), got \"-Inf\"",
        "`m v=1i2`                       | line 1, column 5: expected a field value (number, 1i, 1u, true/false or \"string\"), got \"1i2\"",
        "`m v=truee`                     | line 1, column 5: expected a field value (number, 1i, 1u, true/false or \"string\"), got \"truee\"",
        "`m v=+1`                        | line 1, column 5: expected a field value (number, 1i, 1u, true/false or \"string\"), got \"+1\"",
        "`m v=1,=2`                      | line 1, column 7: expected a field key, got \"=\"",
        "`m, v=1`                        | line 1, column 3: expected a tag key, got \" \"",
        "`m v=\"a\"x`                    | line 1, column 8: expected ',' or ' ' after the value of field v, got \"x\"",
        "`m v=1 123 x`                   | line 1, column 11: expected end of line after the timestamp, got \"x\"",
        "`m v=1 99999999999999999999`    | line 1, column 7: timestamp 99999999999999999999 is out of range for a 64-bit integer",
        "`m\u0001 v=1`                   | line 1, column 1: the measurement name contains the non-printable character U+0001",
        "`m,t\u0007=a v=1`               | line 1, column 3: tag key contains the non-printable character U+0007",
        "`m,t=a\u200bb v=1`              | line 1, column 5: tag value contains the non-printable character U+200B",
        "`m f\u001f=1`                   | line 1, column 3: field key contains the non-printable character U+001F",
      })
  void refusedAsInfluxDbRefusesThem(String input, String error) {
    assertThatThrownBy(() -> parse(null, input))
        .isInstanceOf(ParseException.class)
        .hasMessage(error.strip());
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
