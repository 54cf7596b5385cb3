package dev.metricspipeline.runtime;

/**
 * A stage's settings record refused a value ({@link Checks}). It keeps the setting's name and the
 * problem apart, so a command line can report the flag that gave the value instead of the record's
 * field: {@code port} + {@code must be 0..65535, got 70000} becomes {@code --push-port must be
 * 0..65535, got 70000}. The message is the two joined by a space.
 */
public final class InvalidSettingException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String setting;
  private final String problem;

  /**
   * @param setting the settings record's name for it, e.g. {@code groupTtl} or {@code
   *     otlp.grpcPort}
   * @param problem what is wrong, e.g. {@code must be at least PT1S, got PT0S}
   */
  public InvalidSettingException(String setting, String problem) {
    super(setting + " " + problem);
    this.setting = setting;
    this.problem = problem;
  }

  /** The settings record's name for the setting, e.g. {@code groupTtl}. */
  public String setting() {
    return setting;
  }

  /** What is wrong with the value, without the setting's name, e.g. {@code is required}. */
  public String problem() {
    return problem;
  }
}
