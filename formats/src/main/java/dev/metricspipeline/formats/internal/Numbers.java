package dev.metricspipeline.formats.internal;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The number grammar of the text formats. Stricter than {@link Double#parseDouble}, which also
 * takes hex floats ({@code 0x1p-3}), type suffixes ({@code 1d}) and surrounding blanks, none of
 * which the formats allow.
 */
public final class Numbers {

  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");

  private Numbers() {}

  /**
   * A sample value: a decimal float, or NaN, Inf, Infinity (any case, optional sign).
   *
   * @return the value, or null if the text is not one
   */
  public static Double parseValue(String text) {
    if (DECIMAL.matcher(text).matches()) {
      return Double.parseDouble(text);
    }
    String lower = text.toLowerCase(Locale.ROOT);
    String unsigned = lower.startsWith("+") || lower.startsWith("-") ? lower.substring(1) : lower;
    boolean negative = lower.startsWith("-");
    return switch (unsigned) {
      case "nan" -> Double.NaN;
      case "inf", "infinity" -> negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      default -> null;
    };
  }

  /** True for a decimal number without NaN or infinities. */
  public static boolean isDecimal(String text) {
    return DECIMAL.matcher(text).matches();
  }

  /** True for an optionally signed run of digits. */
  public static boolean isInteger(String text) {
    return INTEGER.matcher(text).matches();
  }

  /** True if the value is finite and has no fractional part. */
  public static boolean isIntegral(double value) {
    return !Double.isInfinite(value) && !Double.isNaN(value) && Math.rint(value) == value;
  }
}
