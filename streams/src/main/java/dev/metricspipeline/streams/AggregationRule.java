package dev.metricspipeline.streams;

import dev.metricspipeline.formats.SeriesSelector;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A cross-series aggregation, like a Prometheus recording rule {@code sum without (instance)
 * (increase(x[1m]))} or vmagent's stream aggregation: every per-series rollup that {@link #match}
 * selects is grouped by the labels it keeps ({@link #by}, or all but {@link #without}), and each
 * group yields one new series per output, in the same rollup topic and window.
 *
 * <p>What each output is, over the per-series rollups of one window in one group:
 *
 * <ul>
 *   <li>{@code sum}: the sum of each series' last value (the group total at the window's end);
 *   <li>{@code count}: the number of series;
 *   <li>{@code min}, {@code max}: the smallest minimum, the largest maximum;
 *   <li>{@code avg}: {@code sum / count};
 *   <li>{@code increase}: the sum of the series' reset-aware increases (counters only; a group
 *       without counters has no increase output).
 * </ul>
 *
 * <p>An output is a gauge rollup whose count is 1 and whose sum, min, max, first and last all hold
 * the output's value, named {@code <prefix>_<output>}; the prefix is {@link #name} if given, else
 * {@code <metric>:by_<labels>} / {@code <metric>:without_<labels>} ({@code <metric>:all} with
 * neither), e.g. {@code http_requests_total:without_instance_increase}.
 *
 * @param name the output name prefix, or null for the default
 * @param by the labels kept (exclusive with {@code without}); null if not given
 * @param without the labels dropped; null if not given
 */
public record AggregationRule(
    String name, SeriesSelector match, List<String> by, List<String> without, Set<Output> outputs) {

  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  /** What a group yields. */
  public enum Output {
    SUM,
    COUNT,
    MIN,
    MAX,
    AVG,
    INCREASE;

    /** The name in configuration and in output series names: {@code sum}, {@code increase}. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public AggregationRule {
    Objects.requireNonNull(match, "match");
    if (by != null && without != null) {
      throw new IllegalArgumentException("a rule takes 'by' or 'without', not both");
    }
    by = by == null ? null : List.copyOf(by);
    without = without == null ? null : List.copyOf(without);
    if (outputs == null || outputs.isEmpty()) {
      throw new IllegalArgumentException("a rule needs at least one output");
    }
    outputs = Set.copyOf(EnumSet.copyOf(outputs));
    if (name != null && !METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("name " + name + " is not a valid metric name");
    }
  }

  /** Whether a series takes part. */
  public boolean matches(String metric, Map<String, String> labels) {
    return match.matches(metric, labels);
  }

  /** The labels of the group a series falls into. */
  public TreeMap<String, String> groupLabels(Map<String, String> labels) {
    TreeMap<String, String> group = new TreeMap<>();
    if (by != null) {
      for (String label : by) {
        String value = labels.get(label);
        if (value != null && !value.isEmpty()) {
          group.put(label, value);
        }
      }
    } else if (without != null) {
      group.putAll(labels);
      group.keySet().removeAll(without);
    }
    return group;
  }

  /** The name of one output series for a metric. */
  public String outputName(String metric, Output output) {
    String prefix;
    if (name != null) {
      prefix = name;
    } else if (by != null) {
      prefix = metric + ":by_" + String.join("_", by);
    } else if (without != null) {
      prefix = metric + ":without_" + String.join("_", without);
    } else {
      prefix = metric + ":all";
    }
    return prefix + "_" + output.key();
  }

  /** The outputs in a stable order. */
  public List<Output> orderedOutputs() {
    return List.copyOf(EnumSet.copyOf(outputs));
  }
}
