package dev.metricspipeline.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AggregationRulesTest {

  @Test
  void aRuleGroupsByOrWithoutAndNamesItsOutputs() {
    List<AggregationRule> rules =
        AggregationRules.parse(
            """
            - match: 'http_requests_total{code=~"5.."}'
              without: [instance, pod]
              outputs: [increase]
            - match: node_load1
              by: [job]
              outputs: [avg, max]
            - match: up
              name: 'job:up'
              outputs: [sum]
            """,
            "rules.yaml");
    assertThat(rules).hasSize(3);
    AggregationRule errors = rules.get(0);
    Map<String, String> labels = Map.of("job", "api", "instance", "a:1", "pod", "p", "code", "503");
    assertThat(errors.matches("http_requests_total", labels)).isTrue();
    assertThat(errors.matches("http_requests_total", Map.of("code", "200"))).isFalse();
    assertThat(errors.groupLabels(labels))
        .containsExactly(Map.entry("code", "503"), Map.entry("job", "api"));
    assertThat(errors.outputName("http_requests_total", AggregationRule.Output.INCREASE))
        .isEqualTo("http_requests_total:without_instance_pod_increase");
    assertThat(rules.get(1).groupLabels(labels)).containsExactly(Map.entry("job", "api"));
    assertThat(rules.get(1).orderedOutputs())
        .containsExactly(AggregationRule.Output.MAX, AggregationRule.Output.AVG);
    assertThat(rules.get(2).groupLabels(labels)).isEmpty();
    assertThat(rules.get(2).outputName("up", AggregationRule.Output.SUM)).isEqualTo("job:up_sum");
  }

  @Test
  void anEmptyFileHasNoRules() {
    assertThat(AggregationRules.parse("", "rules.yaml")).isEmpty();
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'- match: up\\n  outputs: [sum]\\n  grup: [job]' | rules.yaml:3: unknown key 'grup' (known: [by, match, name, outputs, without])",
        "'- match: up\\n  by: [job]\\n  without: [instance]\\n  outputs: [sum]' | rules.yaml:1: a rule takes 'by' or 'without', not both",
        "'- match: up\\n  outputs: [median]' | rules.yaml:1: unknown output 'median' (known: sum, count, min, max, avg, increase)",
        "'- match: up{job=api}\\n  outputs: [sum]' | rules.yaml:1: bad selector up{job=api} at character 8: expected a quoted label value",
        "'- match: up\\n  outputs: []' | rules.yaml:1: a rule needs at least one output",
        "'match: up' | rules.yaml:1: expected a list of rules",
        "'- up' | rules.yaml:1: each rule must be a mapping",
        "'- match: up\\n  name: 1bad\\n  outputs: [sum]' | rules.yaml:1: name 1bad is not a valid metric name",
      })
  void errorsNameFileLineAndWhat(String yaml, String message) {
    assertThatThrownBy(() -> AggregationRules.parse(yaml.replace("\\n", "\n"), "rules.yaml"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }
}
