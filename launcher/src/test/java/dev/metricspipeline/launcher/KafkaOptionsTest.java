package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaOptionsTest {

  /** A command's exit code and what it wrote to its error stream. */
  private record Outcome(int code, String err) {}

  private static Outcome execute(Map<String, String> env, String... args) {
    StringWriter err = new StringWriter();
    int code = Main.commandLine(env).setErr(new PrintWriter(err)).execute(args);
    return new Outcome(code, err.toString());
  }

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

  @Test
  void aNegativeHotEntryCountIsReportedOnTheCommandsOwnErrorStream() {
    Outcome o =
        execute(Map.of(), "streams", "--bootstrap-servers", "127.0.0.1:1", "--hot-entries", "-1");

    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("--hot-entries must be 0 (none) or more");
  }

  @Test
  void aNegativeMemoBoundIsRefusedByItsFlagsName() {
    Outcome gateway =
        execute(
            Map.of(), "push-gateway", "--bootstrap-servers", "127.0.0.1:1", "--memo-series", "-1");
    assertThat(gateway.code()).isEqualTo(2);
    assertThat(gateway.err())
        .contains("--memo-series must be 0 (no memos) or more")
        .doesNotContain("\tat dev.");

    Outcome run = execute(Map.of("METRICS_PIPELINE_PUSH_MEMO_SERIES", "-5"), "run");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("--push-memo-series must be 0 (no memos) or more");
  }
}
