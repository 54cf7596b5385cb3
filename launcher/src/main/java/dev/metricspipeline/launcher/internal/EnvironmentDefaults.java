package dev.metricspipeline.launcher.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Gives every long option a default from the environment: {@code --data-dir} reads {@code
 * METRICS_PIPELINE_DATA_DIR}, {@code --web.config.file} {@code METRICS_PIPELINE_WEB_CONFIG_FILE}. A
 * flag on the command line wins over the environment, which wins over the built-in default. This is
 * the only place the launcher reads the environment.
 */
public final class EnvironmentDefaults implements IDefaultValueProvider {

  public static final String PREFIX = "METRICS_PIPELINE_";

  /** Ours, but not options: the launcher script's JVM options and the tests' PostgreSQL URL. */
  public static final Set<String> NOT_OPTIONS =
      Set.of("METRICS_PIPELINE_JAVA_OPTS", "METRICS_PIPELINE_TEST_POSTGRES");

  private final Map<String, String> env;

  public EnvironmentDefaults() {
    this(System.getenv());
  }

  public EnvironmentDefaults(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /** The environment variable of a long option name such as {@code --data-dir}. */
  public static String variableOf(String longOption) {
    String bare = longOption.replaceFirst("^-+", "");
    return PREFIX + bare.replace('-', '_').replace('.', '_').toUpperCase(Locale.ROOT);
  }

  /**
   * The {@code METRICS_PIPELINE_*} variables in this environment that no command of {@code root}
   * reads, each with the closest one that some command does: a mistyped variable would otherwise be
   * ignored without a word. A variable read by another command than the one run is accepted, so one
   * environment can serve several commands (the compose stack does).
   */
  public List<String> unknown(CommandLine root) {
    Set<String> known = new TreeSet<>(NOT_OPTIONS);
    collect(root, known);
    List<String> problems = new ArrayList<>();
    for (String name : new TreeSet<>(env.keySet())) {
      if (name.startsWith(PREFIX) && !known.contains(name)) {
        problems.add(
            name + " is not a setting of any command (did you mean " + closest(name, known) + "?)");
      }
    }
    return problems;
  }

  private static void collect(CommandLine command, Set<String> known) {
    for (OptionSpec option : command.getCommandSpec().options()) {
      if (option.longestName().startsWith("--")) {
        known.add(variableOf(option.longestName()));
      }
    }
    for (CommandLine sub : command.getSubcommands().values()) {
      collect(sub, known);
    }
  }

  private static String closest(String name, Set<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = distance(name, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best;
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (argSpec instanceof OptionSpec option) {
      String value = env.get(variableOf(option.longestName()));
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return argSpec.defaultValue();
  }
}
