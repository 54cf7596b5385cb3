package dev.metricspipeline.launcher;

import dev.metricspipeline.runtime.InvalidSettingException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Builds a stage's settings record from a command's flags. When the record refuses a value ({@link
 * InvalidSettingException}), the command stops as for any bad flag, with exit code 2 and before
 * anything has started, and the error names the flag the value came from instead of the record's
 * field: {@code --push-port must be 0..65535, got 70000}, not an {@code IllegalArgumentException}
 * with a stack trace about {@code port}. A check the command makes itself names the flag as its
 * setting ({@code Checks.positive("--event-loops", n)}) and is reported as it is. A refused setting
 * that no flag gives is a bug, not a user's mistake, and goes on as it was thrown.
 *
 * @param spec the command whose usage the error prints
 * @param flagBySetting the record's setting names ({@link InvalidSettingException#setting()}) and
 *     the flags that give them
 */
record SettingFlags(CommandSpec spec, Map<String, String> flagBySetting) {

  SettingFlags {
    flagBySetting = Map.copyOf(flagBySetting);
  }

  /** These flags and {@code more}; {@code more} wins for a setting both name. */
  SettingFlags and(Map<String, String> more) {
    Map<String, String> all = new HashMap<>(flagBySetting);
    all.putAll(more);
    return new SettingFlags(spec, all);
  }

  /**
   * What {@code build} makes.
   *
   * @throws ParameterException when the settings record refuses a value one of the flags gave
   */
  <T> T build(Supplier<T> build) {
    try {
      return build.get();
    } catch (InvalidSettingException e) {
      String flag = e.setting().startsWith("--") ? e.setting() : flagBySetting.get(e.setting());
      if (flag == null) {
        throw e;
      }
      throw new ParameterException(spec.commandLine(), flag + " " + e.problem(), e);
    }
  }

  /**
   * What {@code read} makes of the file that {@code flag} names. A file that cannot be read, or
   * that its reader refuses (an {@link IllegalArgumentException} whose message says where and why),
   * stops the command as a bad flag does, with exit 2 and before anything starts: {@code
   * --scrape-config: scrape.yml: unknown key 'scrape_intervall' ...}, not a stack trace.
   */
  static <T> T file(CommandSpec spec, String flag, Supplier<T> read) {
    try {
      return read.get();
    } catch (UncheckedIOException e) {
      throw new ParameterException(
          spec.commandLine(), flag + ": " + e.getMessage() + " (" + e.getCause() + ")", e);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), flag + ": " + e.getMessage(), e);
    }
  }
}
