package dev.metricspipeline.sink.internal;

import dev.metricspipeline.formats.PromDurations;
import dev.metricspipeline.formats.SeriesSelector;
import dev.metricspipeline.sink.StoredRollup;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The PromQL this API answers: {@code fn(selector[range])} with {@code fn} one of {@link Function}
 * and {@code range} a rollup resolution, served from the rollups table; and number literals ({@code
 * 1+1}, which Grafana sends to test a data source).
 *
 * @param function null for a scalar
 * @param scalar the value of a scalar query
 */
public record PromQuery(Function function, SeriesSelector selector, long rangeMs, double scalar) {

  private static final Pattern NUMBER =
      Pattern.compile("\\s*([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)\\s*");
  private static final Pattern ARITHMETIC =
      Pattern.compile(NUMBER.pattern() + "([-+*/])" + NUMBER.pattern());
  private static final Pattern CALL =
      Pattern.compile("\\s*([a-z_]+)\\s*\\((.*)\\)\\s*", Pattern.DOTALL);

  /** The range functions, each read off one stored window. */
  public enum Function {
    MIN_OVER_TIME,
    MAX_OVER_TIME,
    SUM_OVER_TIME,
    COUNT_OVER_TIME,
    AVG_OVER_TIME,
    LAST_OVER_TIME,
    INCREASE,
    RATE;

    public String promql() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The function's value over one window, or null when it has none ({@code increase} and {@code
     * rate} of a series that is not a counter).
     */
    public Double apply(StoredRollup r, long rangeMs) {
      return switch (this) {
        case MIN_OVER_TIME -> r.min();
        case MAX_OVER_TIME -> r.max();
        case SUM_OVER_TIME -> r.sum();
        case COUNT_OVER_TIME -> (double) r.count();
        case AVG_OVER_TIME -> r.sum() / r.count();
        case LAST_OVER_TIME -> r.last();
        case INCREASE -> r.increase();
        case RATE -> r.increase() == null ? null : r.increase() / (rangeMs / 1000.0);
      };
    }

    /** As in Prometheus, every function but {@code last_over_time} drops the metric name. */
    public boolean keepsName() {
      return this == LAST_OVER_TIME;
    }
  }

  /** The sentence every unsupported query gets. */
  public static String supported(String resolutions) {
    return "this API answers fn(selector[range]) with fn one of "
        + Arrays.stream(Function.values()).map(Function::promql).collect(Collectors.joining(", "))
        + " and range one of the rollup resolutions ("
        + resolutions
        + "), served from stored rollups";
  }

  public boolean isScalar() {
    return function == null;
  }

  /**
   * Parses a query.
   *
   * @param resolutions the supported ranges, for the error message
   * @throws IllegalArgumentException saying what is wrong and what is supported
   */
  public static PromQuery parse(String query, String resolutions) {
    if (query == null || query.isBlank()) {
      throw new IllegalArgumentException("no query given; " + supported(resolutions));
    }
    Matcher number = NUMBER.matcher(query);
    if (number.matches()) {
      return new PromQuery(null, null, 0, Double.parseDouble(number.group(1)));
    }
    Matcher arithmetic = ARITHMETIC.matcher(query);
    if (arithmetic.matches()) {
      double a = Double.parseDouble(arithmetic.group(1));
      double b = Double.parseDouble(arithmetic.group(3));
      double v =
          switch (arithmetic.group(2)) {
            case "+" -> a + b;
            case "-" -> a - b;
            case "*" -> a * b;
            default -> a / b;
          };
      return new PromQuery(null, null, 0, v);
    }
    Matcher call = CALL.matcher(query);
    if (!call.matches()) {
      throw new IllegalArgumentException(
          "unsupported query \"" + query.strip() + "\": " + supported(resolutions));
    }
    Function function;
    try {
      function = Function.valueOf(call.group(1).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unsupported function " + call.group(1) + ": " + supported(resolutions), e);
    }
    String argument = call.group(2).strip();
    int close = argument.length() - 1;
    int open = argument.lastIndexOf('[');
    if (close < 0 || argument.charAt(close) != ']' || open < 0) {
      throw new IllegalArgumentException(
          function.promql() + " needs a range selector like x[1m]: " + supported(resolutions));
    }
    long range;
    try {
      range = PromDurations.parse(argument.substring(open + 1, close).strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "bad range in \"" + query.strip() + "\": " + e.getMessage(), e);
    }
    SeriesSelector selector = SeriesSelector.parse(argument.substring(0, open));
    if (!selector.hasNonEmptyMatcher()) {
      throw new IllegalArgumentException(
          "vector selector must contain at least one non-empty matcher");
    }
    return new PromQuery(function, selector, range, 0);
  }
}
