package dev.metricspipeline.launcher;

import dev.metricspipeline.launcher.internal.EnvironmentDefaults;
import dev.metricspipeline.schemas.serde.AvroTrust;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code metrics-pipeline} command. Every long option can also be given as an environment
 * variable: {@code --data-dir} as {@code METRICS_PIPELINE_DATA_DIR}; the flag wins.
 */
@Command(
    name = "metrics-pipeline",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Push and pull metrics into one durable, deduplicated Kafka stream.",
      "",
      "Every --long-option also reads the environment variable METRICS_PIPELINE_LONG_OPTION"
          + " (e.g. --data-dir: METRICS_PIPELINE_DATA_DIR); a flag on the command line wins."
    },
    subcommands = {
      RunCommand.class,
      InitCommand.class,
      TailCommand.class,
      PushGatewayCommand.class,
      PushCommand.class,
      StreamsCommand.class,
      SinkCommand.class,
      ScraperCommand.class,
      NormalizerCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @Spec CommandSpec spec;

  /** The command line with its subcommands and environment defaults, ready to execute. */
  public static CommandLine commandLine() {
    return commandLine(System.getenv());
  }

  /**
   * As {@link #commandLine()}, reading the given environment. A {@code METRICS_PIPELINE_*} variable
   * that no command reads stops the command before it runs (exit 2), naming the closest one.
   */
  public static CommandLine commandLine(Map<String, String> env) {
    EnvironmentDefaults environment = new EnvironmentDefaults(env);
    CommandLine cli = new CommandLine(new Main());
    cli.setDefaultValueProvider(environment);
    CommandLine.IExecutionStrategy run = new CommandLine.RunLast();
    cli.setExecutionStrategy(
        parsed -> {
          List<String> unknown = environment.unknown(cli);
          if (!unknown.isEmpty()) {
            throw new CommandLine.ParameterException(
                parsed.subcommand() == null ? cli : parsed.subcommand().commandSpec().commandLine(),
                String.join("\n", unknown));
          }
          return run.execute(parsed);
        });
    return cli;
  }

  public static void main(String[] args) {
    AvroTrust.ensure();
    System.exit(commandLine().execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The version from the jar's manifest, or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"metrics-pipeline " + (version == null ? "development" : version)};
    }
  }
}
