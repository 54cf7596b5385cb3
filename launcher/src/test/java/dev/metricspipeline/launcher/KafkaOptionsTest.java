package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaOptionsTest {

  @Test
  void aSecondAnswerToWhereKafkaIsStopsTheCommandBeforeAnyClientStarts() {
    StringWriter err = new StringWriter();
    int code =
        Main.commandLine(Map.of())
            .setErr(new PrintWriter(err))
            .execute(
                "init",
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--kafka",
                "bootstrap.servers=elsewhere:9092");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains("bootstrap.servers=elsewhere:9092")
        .contains("use --bootstrap-servers instead");
  }

  @Test
  void aBadThreadCountIsReportedOnTheCommandsOwnErrorStream() {
    StringWriter err = new StringWriter();
    int code =
        Main.commandLine(Map.of())
            .setErr(new PrintWriter(err))
            .execute("streams", "--bootstrap-servers", "127.0.0.1:1", "--stream-threads", "-1");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--stream-threads must be 0 (one per core) or more");
  }

  @Test
  void aNegativeHotEntryCountIsReportedOnTheCommandsOwnErrorStream() {
    StringWriter err = new StringWriter();
    int code =
        Main.commandLine(Map.of())
            .setErr(new PrintWriter(err))
            .execute("streams", "--bootstrap-servers", "127.0.0.1:1", "--hot-entries", "-1");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--hot-entries must be 0 (none) or more");
  }
}
