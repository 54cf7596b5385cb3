package dev.metricspipeline.formats.internal;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The number grammar of the text formats. Stricter than {@link Double#parseDouble}, which also
 * takes hex floats ({@code 0x1p-3}), type suffixes ({@code 1d}) and surrounding blanks, none of
 * which the formats allow.
 */
public final class Numbers {

  /**
   * The decimal grammar, {@code [+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?}, is checked by
   * hand ({@link #decimalKind}); {@code NumbersTest} holds it to this pattern.
   */
  static final Pattern DECIMAL =
      Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");

  private static final int NOT_DECIMAL = 0;
  private static final int DECIMAL_FORM = 1;
  private static final int SMALL_INTEGER = 2;

  private Numbers() {}

  /**
   * A sample value: a decimal float, or NaN, Inf, Infinity (any case, optional sign).
   *
   * @return the value, or null if the text is not one
   */
  public static Double parseValue(String text) {
    int kind = decimalKind(text);
    if (kind == SMALL_INTEGER) {
      // At most 15 digits: exact as a long and as a double, as parseDouble would give it.
      boolean negative = text.charAt(0) == '-';
      int from = negative || text.charAt(0) == '+' ? 1 : 0;
      long digits = 0;
      for (int i = from; i < text.length(); i++) {
        digits = digits * 10 + (text.charAt(i) - '0');
      }
      return negative ? -(double) digits : (double) digits;
    }
    if (kind == DECIMAL_FORM) {
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
    return decimalKind(text) != NOT_DECIMAL;
  }

  /** True for an optionally signed run of digits. */
  public static boolean isInteger(String text) {
    int start = afterSign(text, 0);
    return start < text.length() && digitsEnd(text, start) == text.length();
  }

  /**
   * {@link #NOT_DECIMAL}, {@link #SMALL_INTEGER} (sign and 1–15 digits) or {@link #DECIMAL_FORM}.
   */
  private static int decimalKind(String s) {
    int n = s.length();
    int intStart = afterSign(s, 0);
    int i = digitsEnd(s, intStart);
    int intDigits = i - intStart;
    if (i == n) {
      return intDigits == 0 ? NOT_DECIMAL : intDigits <= 15 ? SMALL_INTEGER : DECIMAL_FORM;
    }
    int fractionDigits = 0;
    if (s.charAt(i) == '.') {
      int fractionStart = i + 1;
      i = digitsEnd(s, fractionStart);
      fractionDigits = i - fractionStart;
    }
    if (intDigits == 0 && fractionDigits == 0) {
      return NOT_DECIMAL;
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      int exponentStart = afterSign(s, i + 1);
      i = digitsEnd(s, exponentStart);
      if (i == exponentStart) {
        return NOT_DECIMAL;
      }
    }
    return i == n ? DECIMAL_FORM : NOT_DECIMAL;
  }

  /** The index after an optional {@code +} or {@code -} at {@code i}. */
  private static int afterSign(String s, int i) {
    return i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-') ? i + 1 : i;
  }

  /** The index of the first non-digit at or after {@code i} (or the length). */
  private static int digitsEnd(String s, int i) {
    while (i < s.length() && digit(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  /** True if the value is finite and has no fractional part. */
  public static boolean isIntegral(double value) {
    return !Double.isInfinite(value) && !Double.isNaN(value) && Math.rint(value) == value;
  }

  /**
   * A bound label's value as Prometheus writes it ({@link #formatBound}), or null if it is not a
   * number and is kept as written. The one rule for {@code le} and {@code quantile} as they come in
   * text: {@code TextFormatParser.normalizeBound} and {@link FrozenLabels#withBound} both use it.
   */
  public static String boundText(String value) {
    Double bound = value == null ? null : parseValue(value);
    return bound == null ? null : formatBound(bound);
  }

  /**
   * A bucket bound or quantile as Prometheus writes it (Go's {@code %g} with the shortest
   * precision): {@code 1} not {@code 1.0}, {@code 0.005}, {@code 1e-05}, {@code +Inf}. Both text
   * parsers and the protobuf parser normalize {@code le} and {@code quantile} with it, as
   * Prometheus 3 does, so one series has one id whichever format it came in.
   */
  public static String formatBound(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == 0) {
      return "0";
    }
    java.math.BigDecimal d = new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros();
    int exponent = d.precision() - d.scale() - 1;
    if (exponent < -4 || exponent >= 21) {
      String digits = d.unscaledValue().abs().toString();
      StringBuilder out = new StringBuilder();
      if (d.signum() < 0) {
        out.append('-');
      }
      out.append(digits.charAt(0));
      if (digits.length() > 1) {
        out.append('.').append(digits, 1, digits.length());
      }
      out.append('e').append(exponent < 0 ? '-' : '+');
      int abs = Math.abs(exponent);
      out.append(abs < 10 ? "0" + abs : Integer.toString(abs));
      return out.toString();
    }
    return d.toPlainString();
  }
}
