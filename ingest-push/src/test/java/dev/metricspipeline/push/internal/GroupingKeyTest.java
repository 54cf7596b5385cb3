package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GroupingKeyTest {

  @Test
  void jobAndLabels() {
    GroupingKey key = GroupingKey.parse("job/batch_job/instance/host1");
    assertThat(key.labels()).isEqualTo(Map.of("job", "batch_job", "instance", "host1"));
    assertThat(key.canonical()).isEqualTo("instance=\"host1\",job=\"batch_job\"");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "job/a%20b                       | a b",
        "job@base64/L3Zhci90bXA          | /var/tmp",
        "job@base64/L3Zhci90bXA=         | /var/tmp",
        "job/x/path@base64/L3Zhci90bXA   | x",
        "job/a+b                         | a+b",
      })
  void decodesValues(String path, String job) {
    assertThat(GroupingKey.parse(path.strip()).labels().get("job")).isEqualTo(job.strip());
  }

  @Test
  void base64EqualsSignIsTheEmptyValue() {
    assertThat(GroupingKey.parse("job/j/instance@base64/=").labels()).containsEntry("instance", "");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "job/                    | the job name must not be empty",
        "jobs/x                  | the path must start with /metrics/job/<job name>",
        "job/x/instance          | the grouping key must be pairs of /<label name>/<value>; the last label has no value",
        "job/x/1bad/v            | \"1bad\" is not a valid label name for a grouping key",
        "job/x/__name__/v        | \"__name__\" is not a valid label name for a grouping key",
        "job/x/a/1/a/2           | label \"a\" appears twice in the grouping key",
        "job/x/a@base64/!!!      | the value of a@base64 is not URL-safe base64",
        "job/x/a/%zz             | invalid percent-encoding in \"%zz\"",
      })
  void refusesBadKeys(String path, String message) {
    assertThatThrownBy(() -> GroupingKey.parse(path.strip()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message.strip());
  }
}
