package dev.metricspipeline.launcher;

import static dev.metricspipeline.launcher.Commands.execute;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.launcher.Commands.Outcome;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaOptionsTest {

  @Test
  void aSecondAnswerToWhereKafkaIsStopsTheCommandBeforeAnyClientStarts() {
    Outcome o =
        execute(
            Map.of(),
            "init",
            "--bootstrap-servers",
            "127.0.0.1:1",
            "--kafka",
            "bootstrap.servers=elsewhere:9092");

    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err())
        .contains("bootstrap.servers=elsewhere:9092")
        .contains("use --bootstrap-servers instead");
  }

  @Test
  void aBadThreadCountIsReportedOnTheCommandsOwnErrorStream() {
    Outcome o =
        execute(
            Map.of(), "streams", "--bootstrap-servers", "127.0.0.1:1", "--stream-threads", "-1");

    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("--stream-threads must be 0 (one per core) or more");
  }
}
