package dev.metricspipeline.runtime;

import java.time.Duration;
import java.util.Collection;

/**
 * Validation for the stages' settings records, checked when a record is made: every message names
 * the setting and the value it got, e.g. {@code maxConcurrentScrapes must be at least 1, got 0}.
 * Each check returns its value, so a compact constructor can check and assign in one line. A
 * refusal is an {@link InvalidSettingException} (an {@link IllegalArgumentException}) that keeps
 * the setting's name apart, so the launcher can name the flag instead.
 */
public final class Checks {

  private Checks() {}

  /** {@code value}, which must not be null. */
  public static <T> T present(String key, T value) {
    if (value == null) {
      throw new InvalidSettingException(key, "is required");
    }
    return value;
  }

  /** {@code value}, which must be at least {@code min}. */
  public static int atLeast(String key, int value, int min) {
    if (value < min) {
      throw new InvalidSettingException(key, "must be at least " + min + ", got " + value);
    }
    return value;
  }

  /** {@code value}, which must be at least {@code min}. */
  public static long atLeast(String key, long value, long min) {
    if (value < min) {
      throw new InvalidSettingException(key, "must be at least " + min + ", got " + value);
    }
    return value;
  }

  /** {@code value}, which must be at least 1. */
  public static int positive(String key, int value) {
    return atLeast(key, value, 1);
  }

  /** {@code value}, a TCP port to listen on: 0 (any free one) to 65535. */
  public static int port(String key, int value) {
    if (value < 0 || value > 65535) {
      throw new InvalidSettingException(key, "must be 0..65535, got " + value);
    }
    return value;
  }

  /** {@code value}, which must be present and at least {@code min}. */
  public static Duration atLeast(String key, Duration value, Duration min) {
    present(key, value);
    if (value.compareTo(min) < 0) {
      throw new InvalidSettingException(key, "must be at least " + min + ", got " + value);
    }
    return value;
  }

  /** {@code value}, which must be present and not negative. */
  public static Duration notNegative(String key, Duration value) {
    return atLeast(key, value, Duration.ZERO);
  }

  /** {@code value}, which must be present and not empty. */
  public static <C extends Collection<?>> C notEmpty(String key, C value) {
    present(key, value);
    if (value.isEmpty()) {
      throw new InvalidSettingException(key, "must not be empty");
    }
    return value;
  }
}
