package dev.metricspipeline.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SeriesKeyTest {

  static Stream<Arguments> ids() {
    return Stream.of(
        Arguments.of("up", Map.of(), "up"),
        Arguments.of(
            "up",
            ordered("job", "node", "instance", "a:9100"),
            "up{instance=\"a:9100\",job=\"node\"}"),
        Arguments.of("x", ordered("b", "2", "a", "1", "c", "3"), "x{a=\"1\",b=\"2\",c=\"3\"}"),
        Arguments.of("x", ordered("path", "C:\\dir"), "x{path=\"C:\\\\dir\"}"),
        Arguments.of("x", ordered("q", "say \"hi\""), "x{q=\"say \\\"hi\\\"\"}"),
        Arguments.of("x", ordered("msg", "a\nb"), "x{msg=\"a\\nb\"}"),
        Arguments.of("x", ordered("empty", ""), "x{empty=\"\"}"),
        Arguments.of("x", ordered("utf", "é✓"), "x{utf=\"é✓\"}"),
        Arguments.of("x", ordered("job", "a", "__replica__", "r1"), "x{job=\"a\"}"),
        Arguments.of("x", ordered("__replica__", "r1"), "x"),
        Arguments.of("x", ordered("__name__", "x", "job", "a"), "x{job=\"a\"}"),
        // Uppercase sorts before lowercase (UTF-16 order), as Prometheus sorts label names.
        Arguments.of("x", ordered("b", "1", "B", "2", "_a", "3"), "x{B=\"2\",_a=\"3\",b=\"1\"}"));
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @MethodSource("ids")
  void canonicalId(String name, Map<String, String> labels, String expected) {
    assertThat(SeriesKey.standard().idOf(name, labels)).isEqualTo(expected);
  }

  @Test
  void labelOrderDoesNotChangeTheId() {
    assertThat(SeriesKey.standard().idOf("m", ordered("a", "1", "b", "2")))
        .isEqualTo(SeriesKey.standard().idOf("m", ordered("b", "2", "a", "1")));
  }

  @Test
  void configuredReplicaLabelsAreLeftOutAndTheDefaultIsNot() {
    SeriesKey key = SeriesKey.excluding(List.of("replica", "prometheus_replica"));
    assertThat(key.idOf("up", ordered("replica", "a", "job", "j", "__replica__", "x")))
        .isEqualTo("up{__replica__=\"x\",job=\"j\"}");
    assertThat(key.idOf("up", ordered("prometheus_replica", "b", "job", "j")))
        .isEqualTo("up{job=\"j\"}");
  }

  @Test
  void emptyNameIsRefused() {
    assertThatThrownBy(() -> SeriesKey.standard().idOf("", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("metric name must not be empty");
  }

  private static Map<String, String> ordered(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}
