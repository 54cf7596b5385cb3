package dev.metricspipeline.launcher;

import static dev.metricspipeline.launcher.Commands.execute;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.launcher.Commands.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A value a stage's settings record refuses stops the command with exit 2 before anything starts,
 * naming the flag it came from, with no stack trace.
 */
class SettingFlagsTest {

  private static final String KAFKA = "--bootstrap-servers=127.0.0.1:1";

  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "push-gateway | --port=70000                | --port must be 0..65535, got 70000",
        "push-gateway | --group-ttl=PT0S            | --group-ttl must be at least PT1S, got PT0S",
        "push-gateway | --memo-series=-1            | --memo-series must be at least 0, got -1",
        "push-gateway | --otlp-max-delta-streams=0  | --otlp-max-delta-streams must be at least 1, got 0",
        "streams      | --rollup-grace=-PT1S        | --rollup-grace must be at least PT0S, got PT-1S",
        "streams      | --allowed-lateness=-PT1S    | --allowed-lateness must be at least PT0S, got PT-1S",
        "streams      | --hot-entries=-1            | --hot-entries must be at least 0, got -1",
        "sink         | --query-port=70000          | --query-port must be 0..65535, got 70000",
        "sink         | --query-max-windows=0       | --query-max-windows must be at least 1, got 0",
      })
  void aRefusedValueIsReportedByItsFlag(String command, String flag, String message) {
    Outcome o = execute(Map.of(), command, KAFKA, flag);

    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains(message).doesNotContain("\tat ").doesNotContain("Exception");
  }

  @Test
  void theScrapersSessionTimeoutIsReportedByItsFlag(@TempDir Path dir) throws IOException {
    Path config = Files.writeString(dir.resolve("scrape.yml"), "scrape_configs: []\n");

    Outcome o =
        execute(Map.of(), "scraper", KAFKA, "--scrape-config=" + config, "--session-timeout-ms=0");

    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("--session-timeout-ms must be at least 1, got 0");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--push-port=70000            | --push-port must be 0..65535, got 70000",
        "--scraper-port=-2            | --scraper-port must be 0..65535, got -2",
        "--query-port=65536           | --query-port must be 0..65535, got 65536",
        "--kafka-port=70000           | --kafka-port must be 0..65535, got 70000",
        "--query-max-windows=0        | --query-max-windows must be at least 1, got 0",
        "--otlp-max-delta-streams=0   | --otlp-max-delta-streams must be at least 1, got 0",
        "--rollup-grace=-PT1S         | --rollup-grace must be at least PT0S, got PT-1S",
        "--event-loops=0              | --event-loops must be at least 1, got 0",
      })
  void runReportsARefusedValueByItsFlagBeforeKafkaStarts(
      String flag, String message, @TempDir Path dir) {
    Outcome o = execute(Map.of(), "run", "--data-dir=" + dir, flag);

    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains(message).doesNotContain("\tat ");
    assertThat(dir.resolve("kafka")).doesNotExist();
  }

  @Test
  void runReadsTheMemoBoundFromItsEnvironmentVariableAndNamesTheFlag(@TempDir Path dir) {
    Outcome o =
        execute(Map.of("METRICS_PIPELINE_PUSH_MEMO_SERIES", "-5"), "run", "--data-dir=" + dir);

    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("--push-memo-series must be at least 0, got -5");
    assertThat(dir.resolve("kafka")).doesNotExist();
  }

  @Test
  void aConfigFileThatCannotBeReadOrIsRefusedIsReportedByItsFlag(@TempDir Path dir)
      throws IOException {
    Path missing = dir.resolve("missing.yml");
    Path typo =
        Files.writeString(
            dir.resolve("typo.yml"), "scrape_configs: [{job_name: x, scrape_intervall: 1s}]\n");

    Outcome scraper = execute(Map.of(), "scraper", KAFKA, "--scrape-config=" + missing);
    assertThat(scraper.code()).isEqualTo(2);
    assertThat(scraper.err())
        .contains("--scrape-config: cannot read scrape config " + missing)
        .contains("NoSuchFileException")
        .doesNotContain("\tat ");

    Outcome run = execute(Map.of(), "run", "--data-dir=" + dir, "--scrape-config=" + typo);
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err())
        .contains("--scrape-config: " + typo + ":1: unknown key 'scrape_intervall'")
        .doesNotContain("\tat ");
    assertThat(dir.resolve("kafka")).doesNotExist();

    Outcome rules = execute(Map.of(), "streams", KAFKA, "--aggregation-rules=" + missing);
    assertThat(rules.code()).isEqualTo(2);
    assertThat(rules.err()).contains("--aggregation-rules: cannot read aggregation rules");

    Outcome web = execute(Map.of(), "push-gateway", KAFKA, "--web.config.file=" + missing);
    assertThat(web.code()).isEqualTo(2);
    assertThat(web.err()).contains("--web.config.file: web config " + missing);

    Outcome sources = execute(Map.of(), "normalizer", KAFKA, "--kafka-sources=" + missing);
    assertThat(sources.code()).isEqualTo(2);
    assertThat(sources.err()).contains("--kafka-sources: cannot read " + missing);
  }
}
