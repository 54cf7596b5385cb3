package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.launcher.internal.EnvironmentDefaults;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

class EnvironmentDefaultsTest {

  @Test
  void everyLongOptionNamesItsEnvironmentVariableInItsHelp() {
    CommandLine cli = Main.commandLine();
    for (CommandLine sub : cli.getSubcommands().values()) {
      for (OptionSpec option : sub.getCommandSpec().options()) {
        if (option.usageHelp() || option.versionHelp()) {
          continue;
        }
        String variable = EnvironmentDefaults.variableOf(option.longestName());
        assertThat(String.join(" ", option.description()))
            .as("help of %s %s", sub.getCommandName(), option.longestName())
            .contains("Env: " + variable);
      }
    }
  }

  @Test
  void environmentGivesDefaultsAndFlagsWin() {
    Map<String, String> env =
        Map.of("METRICS_PIPELINE_DATA_DIR", "/srv/metrics", "METRICS_PIPELINE_KAFKA_PORT", "19092");
    RunCommand fromEnv = new RunCommand();
    new CommandLine(fromEnv).setDefaultValueProvider(new EnvironmentDefaults(env)).parseArgs();
    assertThat(fromEnv.dataDir).isEqualTo(Path.of("/srv/metrics"));
    assertThat(fromEnv.kafkaPort).isEqualTo(19092);
    assertThat(fromEnv.registryPort).isEqualTo(8081);

    RunCommand flagged = new RunCommand();
    new CommandLine(flagged)
        .setDefaultValueProvider(new EnvironmentDefaults(env))
        .parseArgs("--kafka-port", "1234");
    assertThat(flagged.kafkaPort).isEqualTo(1234);
  }

  @Test
  void variableNamesFollowTheLongOption() {
    assertThat(EnvironmentDefaults.variableOf("--schema-registry"))
        .isEqualTo("METRICS_PIPELINE_SCHEMA_REGISTRY");
    assertThat(EnvironmentDefaults.variableOf("--from-beginning"))
        .isEqualTo("METRICS_PIPELINE_FROM_BEGINNING");
    assertThat(EnvironmentDefaults.variableOf("--web.config.file"))
        .isEqualTo("METRICS_PIPELINE_WEB_CONFIG_FILE");
  }

  @Test
  void aMistypedVariableStopsTheCommandNamingTheClosestOne() {
    java.io.StringWriter err = new java.io.StringWriter();
    int code =
        Main.commandLine(
                Map.of(
                    "METRICS_PIPELINE_DATA_DIRR", "/srv/metrics",
                    "METRICS_PIPELINE_JAVA_OPTS", "-Xmx1g",
                    "METRICS_PIPELINE_QUERY_ADDRESS", "0.0.0.0"))
            .setErr(new java.io.PrintWriter(err))
            .execute("tail", "--help");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "METRICS_PIPELINE_DATA_DIRR is not a setting of any command (did you mean"
                + " METRICS_PIPELINE_DATA_DIR?)")
        // read by sink, not by tail: one environment may serve several commands
        .doesNotContain("METRICS_PIPELINE_QUERY_ADDRESS is not")
        .doesNotContain("JAVA_OPTS");
  }
}
