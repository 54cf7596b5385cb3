package dev.metricspipeline.launcher.internal;

import java.util.Locale;
import java.util.Map;
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
