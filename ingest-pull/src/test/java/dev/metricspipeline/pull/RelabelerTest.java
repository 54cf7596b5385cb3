package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cases of Prometheus's own relabeling table ({@code model/relabel/relabel_test.go}). */
class RelabelerTest {

  private static RelabelConfig step(
      List<String> source, String regex, String target, String replacement, String action) {
    return RelabelConfig.of(source, null, target, regex, null, replacement, action);
  }

  private static Map<String, String> apply(Map<String, String> in, RelabelConfig... steps) {
    return Relabeler.apply(in, List.of(steps));
  }

  private static final Map<String, String> FOO_BAR_BAZ = Map.of("a", "foo", "b", "bar", "c", "baz");

  @Test
  void replaceExpandsGroupsIntoTheTarget() {
    assertThat(apply(FOO_BAR_BAZ, step(List.of("a"), "f(.*)", "d", "ch${1}-ch${1}", "replace")))
        .containsEntry("d", "choo-choo")
        .hasSize(4);
    assertThat(
            apply(
                FOO_BAR_BAZ,
                step(List.of("a", "b"), "f(.*);(.*)r", "a", "b${1}${2}m", "replace"),
                step(List.of("c", "a"), "(b).*b(.*)ba(.*)", "d", "$1$2$2$3", "replace")))
        .isEqualTo(Map.of("a", "boobam", "b", "bar", "c", "baz", "d", "boooom"));
    assertThat(apply(Map.of("a", "abc"), step(List.of("a"), ".*(b).*", "d", "$1", "replace")))
        .isEqualTo(Map.of("a", "abc", "d", "b"));
    assertThat(apply(Map.of("a", "boo"), step(List.of("a"), "f", "b", "bar", "replace")))
        .as("no match, no replacement")
        .isEqualTo(Map.of("a", "boo"));
  }

  @Test
  void replaceWithGroupsInTheTargetLabel() {
    assertThat(
            apply(
                Map.of("a", "some-name-value"),
                step(List.of("a"), "some-([^-]+)-([^,]+)", "${1}", "${2}", "replace")))
        .isEqualTo(Map.of("a", "some-name-value", "name", "value"));
    assertThat(
            apply(
                Map.of("a", "some-name-value"),
                step(List.of("a"), "some-([^-]+)-([^,]+)", "${1}", "${3}", "replace")))
        .as("an empty result for a missing label changes nothing")
        .isEqualTo(Map.of("a", "some-name-value"));
    assertThat(
            apply(
                Map.of("a", "some-name-0"),
                step(List.of("a"), "some-([^-]+)-([^,]+)", "${3}", "${1}", "replace")))
        .as("an invalid expanded target label is skipped")
        .isEqualTo(Map.of("a", "some-name-0"));
    Map<String, String> tags = Map.of("__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar");
    assertThat(
            apply(
                tags,
                step(
                    List.of("__meta_sd_tags"),
                    "(?:.+,|^)path:(/[^,]+).*",
                    "__metrics_path__",
                    "${1}",
                    "replace"),
                step(List.of("__meta_sd_tags"), "(?:.+,|^)job:([^,]+).*", "job", "${1}", "replace"),
                step(
                    List.of("__meta_sd_tags"),
                    "(?:.+,|^)label:([^=]+)=([^,]+).*",
                    "${1}",
                    "${2}",
                    "replace")))
        .containsEntry("__metrics_path__", "/secret")
        .containsEntry("job", "some-job")
        .containsEntry("foo", "bar");
  }

  @Test
  void keepAndDropAreAnchored() {
    assertThat(apply(Map.of("a", "foo"), step(List.of("a"), ".*o.*", null, null, "drop"))).isNull();
    assertThat(apply(Map.of("a", "foo"), step(List.of("a"), "no-match", null, null, "drop")))
        .isEqualTo(Map.of("a", "foo"));
    assertThat(apply(Map.of("a", "foo"), step(List.of("a"), "f|o", null, null, "drop")))
        .as("f|o does not match all of foo")
        .isEqualTo(Map.of("a", "foo"));
    assertThat(apply(Map.of("a", "foo"), step(List.of("a"), "no-match", null, null, "keep")))
        .isNull();
    assertThat(apply(Map.of("a", "foo"), step(List.of("a"), "f.*", null, null, "keep")))
        .isEqualTo(Map.of("a", "foo"));
    assertThat(
            apply(
                Map.of("a", "foo"),
                step(List.of("a"), ".*o.*", null, null, "drop"),
                step(List.of("a"), "f(.*)", "d", "ch$1-ch$1", "replace")))
        .isNull();
  }

  @Test
  void hashmodMatchesPrometheus() {
    assertThat(
            apply(
                FOO_BAR_BAZ,
                RelabelConfig.of(List.of("c"), ";", "d", null, 1000L, null, "hashmod")))
        .containsEntry("d", "976");
    assertThat(
            apply(
                Map.of("a", "foo\nbar"),
                RelabelConfig.of(List.of("a"), ";", "b", null, 1000L, null, "hashmod")))
        .containsEntry("b", "734");
  }

  @Test
  void labelmapLabeldropLabelkeep() {
    assertThat(
            apply(
                Map.of("a", "foo", "b1", "bar", "b2", "baz"),
                step(null, "(b.*)", null, "bar_${1}", "labelmap")))
        .isEqualTo(Map.of("a", "foo", "b1", "bar", "b2", "baz", "bar_b1", "bar", "bar_b2", "baz"));
    assertThat(
            apply(
                Map.of(
                    "a",
                    "foo",
                    "__meta_my_bar",
                    "aaa",
                    "__meta_my_baz",
                    "bbb",
                    "__meta_other",
                    "ccc"),
                step(null, "__meta_(my.*)", null, "${1}", "labelmap")))
        .containsEntry("my_bar", "aaa")
        .containsEntry("my_baz", "bbb")
        .doesNotContainKey("other");
    assertThat(
            apply(
                Map.of("a", "foo", "b1", "bar", "b2", "baz"),
                step(null, "(b.*)", null, null, "labelkeep")))
        .isEqualTo(Map.of("b1", "bar", "b2", "baz"));
    assertThat(
            apply(
                Map.of("a", "foo", "b1", "bar", "b2", "baz"),
                step(null, "(b.*)", null, null, "labeldrop")))
        .isEqualTo(Map.of("a", "foo"));
    Map<String, String> k8s =
        Map.of(
            "__meta_kubernetes_pod_container_port_name", "foo",
            "__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091");
    assertThat(
            apply(
                k8s,
                step(null, "^__meta_kubernetes_pod_container_port_name$", null, null, "labeldrop"),
                step(
                    List.of("__meta_kubernetes_pod_annotation_XXX_metrics_port"),
                    "(.+)",
                    "__meta_kubernetes_pod_container_port_name",
                    "metrics",
                    "replace"),
                step(
                    List.of("__meta_kubernetes_pod_container_port_name"),
                    "^metrics$",
                    null,
                    null,
                    "keep")))
        .containsEntry("__meta_kubernetes_pod_container_port_name", "metrics");
  }

  @Test
  void caseAndEquality() {
    assertThat(
            apply(
                Map.of("foo", "bAr123Foo"),
                step(List.of("foo"), null, "foo_uppercase", null, "uppercase"),
                step(List.of("foo"), null, "foo_lowercase", null, "lowercase")))
        .containsEntry("foo_lowercase", "bar123foo")
        .containsEntry("foo_uppercase", "BAR123FOO");
    Map<String, String> ports = Map.of("__tmp_port", "1234", "__port1", "1234", "__port2", "5678");
    assertThat(apply(ports, step(List.of("__tmp_port"), null, "__port1", null, "keepequal")))
        .isEqualTo(ports);
    assertThat(apply(ports, step(List.of("__tmp_port"), null, "__port1", null, "dropequal")))
        .isNull();
    assertThat(apply(ports, step(List.of("__tmp_port"), null, "__port2", null, "dropequal")))
        .isEqualTo(ports);
    assertThat(apply(ports, step(List.of("__tmp_port"), null, "__port2", null, "keepequal")))
        .isNull();
  }

  @Test
  void validationMessagesAreTheOnesPrometheusGives() {
    assertThatThrownBy(() -> step(null, null, null, null, "replace"))
        .hasMessageContaining("requires 'target_label' value");
    assertThatThrownBy(() -> step(null, null, null, null, "lowercase"))
        .hasMessageContaining("requires 'target_label' value");
    assertThatThrownBy(() -> step(null, null, "${3}", null, "lowercase"))
        .hasMessageContaining("\"${3}\" is invalid 'target_label'");
    assertThatThrownBy(() -> step(List.of("a"), "some-([^-]+)-([^,]+)", "0${3}", "${1}", "replace"))
        .hasMessageContaining("\"0${3}\" is invalid 'target_label'");
    assertThatThrownBy(() -> step(List.of("a"), "some-([^-]+)-([^,]+)", "-${3}", "${1}", "replace"))
        .hasMessageContaining("\"-${3}\" is invalid 'target_label' for replace action");
    assertThatThrownBy(() -> RelabelConfig.of(List.of("a"), null, "b", null, null, null, "hashmod"))
        .hasMessageContaining("requires non-zero modulus");
    assertThatThrownBy(() -> step(null, null, null, null, "rename"))
        .hasMessage("unknown relabel action \"rename\"");
    assertThatThrownBy(() -> step(List.of("a"), "(", "b", null, "replace"))
        .hasMessageStartingWith("invalid regex \"(\"");
  }
}
