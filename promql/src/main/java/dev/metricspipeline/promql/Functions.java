package dev.metricspipeline.promql;

import dev.metricspipeline.promql.Expr.ValueType;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The functions and aggregation operators this engine answers, with their argument and result
 * types; Prometheus's others are known by name so a query using one is refused as unsupported
 * rather than as unknown.
 */
public final class Functions {
  private Functions() {}

  /**
   * @param args the argument types in order
   * @param optional how many trailing arguments may be left out
   */
  record Signature(List<ValueType> args, int optional, ValueType returns) {}

  private static final ValueType S = ValueType.SCALAR;
  private static final ValueType V = ValueType.VECTOR;
  private static final ValueType M = ValueType.MATRIX;
  private static final ValueType T = ValueType.STRING;

  static final Map<String, Signature> SUPPORTED =
      Map.ofEntries(
          Map.entry("rate", new Signature(List.of(M), 0, V)),
          Map.entry("irate", new Signature(List.of(M), 0, V)),
          Map.entry("increase", new Signature(List.of(M), 0, V)),
          Map.entry("delta", new Signature(List.of(M), 0, V)),
          Map.entry("resets", new Signature(List.of(M), 0, V)),
          Map.entry("avg_over_time", new Signature(List.of(M), 0, V)),
          Map.entry("min_over_time", new Signature(List.of(M), 0, V)),
          Map.entry("max_over_time", new Signature(List.of(M), 0, V)),
          Map.entry("sum_over_time", new Signature(List.of(M), 0, V)),
          Map.entry("count_over_time", new Signature(List.of(M), 0, V)),
          Map.entry("last_over_time", new Signature(List.of(M), 0, V)),
          Map.entry("abs", new Signature(List.of(V), 0, V)),
          Map.entry("ceil", new Signature(List.of(V), 0, V)),
          Map.entry("floor", new Signature(List.of(V), 0, V)),
          Map.entry("round", new Signature(List.of(V, S), 1, V)),
          Map.entry("clamp_min", new Signature(List.of(V, S), 0, V)),
          Map.entry("clamp_max", new Signature(List.of(V, S), 0, V)),
          Map.entry("label_replace", new Signature(List.of(V, T, T, T, T), 0, V)),
          Map.entry("vector", new Signature(List.of(S), 0, V)),
          Map.entry("scalar", new Signature(List.of(V), 0, S)),
          Map.entry("time", new Signature(List.of(), 0, S)),
          Map.entry("histogram_quantile", new Signature(List.of(S, V), 0, V)));

  /** Prometheus functions not answered here (yet). */
  static final Set<String> UNSUPPORTED =
      Set.of(
          "absent",
          "absent_over_time",
          "acos",
          "acosh",
          "asin",
          "asinh",
          "atan",
          "atanh",
          "changes",
          "clamp",
          "cos",
          "cosh",
          "day_of_month",
          "day_of_week",
          "day_of_year",
          "days_in_month",
          "deg",
          "deriv",
          "exp",
          "holt_winters",
          "hour",
          "idelta",
          "label_join",
          "ln",
          "log10",
          "log2",
          "minute",
          "month",
          "predict_linear",
          "quantile_over_time",
          "rad",
          "sgn",
          "sin",
          "sinh",
          "sort",
          "sort_desc",
          "sqrt",
          "stddev_over_time",
          "stdvar_over_time",
          "tan",
          "tanh",
          "timestamp",
          "year",
          "present_over_time",
          "double_exponential_smoothing",
          "histogram_count",
          "histogram_sum",
          "histogram_fraction",
          "histogram_avg",
          "histogram_stddev",
          "histogram_stdvar",
          "mad_over_time",
          "sort_by_label",
          "sort_by_label_desc",
          "pi",
          "info");

  /** Aggregation operators answered here; those with a parameter take it first. */
  static final Set<String> AGGREGATIONS =
      Set.of("sum", "avg", "min", "max", "count", "group", "topk", "bottomk", "quantile");

  static final Set<String> AGGREGATIONS_WITH_PARAM = Set.of("topk", "bottomk", "quantile");

  /** Prometheus aggregation operators not answered here. */
  static final Set<String> UNSUPPORTED_AGGREGATIONS =
      Set.of("stddev", "stdvar", "count_values", "limitk", "limit_ratio");

  /** Whether a name is an aggregation operator, answered here or not. */
  static boolean isAggregation(String name) {
    return AGGREGATIONS.contains(name) || UNSUPPORTED_AGGREGATIONS.contains(name);
  }
}
