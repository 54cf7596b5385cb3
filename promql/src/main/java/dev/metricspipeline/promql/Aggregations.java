package dev.metricspipeline.promql;

import dev.metricspipeline.promql.Evaluator.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * The aggregation operators over one group, and the bucket quantile, as Prometheus computes them.
 */
final class Aggregations {
  private Aggregations() {}

  /**
   * {@code sum}, {@code avg}, {@code min}, {@code max}, {@code count}, {@code group}, {@code
   * quantile}.
   */
  static double apply(String op, double param, List<Sample> members) {
    switch (op) {
      case "count":
        return members.size();
      case "group":
        return 1;
      case "sum":
        {
          double sum = 0;
          for (Sample s : members) {
            sum += s.value();
          }
          return sum;
        }
      case "avg":
        {
          // Prometheus's incremental mean, which avoids overflow on large values.
          double mean = 0;
          int n = 0;
          for (Sample s : members) {
            n++;
            mean += s.value() / n - mean / n;
          }
          return mean;
        }
      case "min":
        {
          double min = members.get(0).value();
          for (Sample s : members) {
            if (s.value() < min || Double.isNaN(min)) {
              min = s.value();
            }
          }
          return min;
        }
      case "max":
        {
          double max = members.get(0).value();
          for (Sample s : members) {
            if (s.value() > max || Double.isNaN(max)) {
              max = s.value();
            }
          }
          return max;
        }
      case "quantile":
        {
          double[] values = members.stream().mapToDouble(Sample::value).toArray();
          return quantile(param, values);
        }
      default:
        throw new PromQLException(-1, "aggregation " + op + " is not supported");
    }
  }

  /**
   * {@code sum}, {@code avg}, {@code min}, {@code max}, {@code count} and {@code group} folded one
   * value at a time into a count and one double, with the same arithmetic in the same order as
   * {@link #apply} over the members (so the results are bit for bit the same).
   */
  enum Fold {
    SUM,
    AVG,
    MIN,
    MAX,
    COUNT,
    GROUP;

    /** The fold of an aggregation operator, or null for those that need all members. */
    static Fold of(String op) {
      return switch (op) {
        case "sum" -> SUM;
        case "avg" -> AVG;
        case "min" -> MIN;
        case "max" -> MAX;
        case "count" -> COUNT;
        case "group" -> GROUP;
        default -> null;
      };
    }

    /**
     * The accumulated value after adding {@code v}.
     *
     * @param n the number of values including {@code v}
     * @param acc the accumulated value before it (anything for the first)
     */
    double add(long n, double acc, double v) {
      return switch (this) {
        case SUM -> (n == 1 ? 0 : acc) + v;
        case AVG -> {
          double mean = n == 1 ? 0 : acc;
          yield mean + (v / n - mean / n);
        }
        case MIN -> n == 1 || v < acc || Double.isNaN(acc) ? v : acc;
        case MAX -> n == 1 || v > acc || Double.isNaN(acc) ? v : acc;
        case COUNT, GROUP -> 0;
      };
    }

    /** The result over {@code n > 0} values. */
    double result(long n, double acc) {
      return switch (this) {
        case COUNT -> n;
        case GROUP -> 1;
        default -> acc;
      };
    }
  }

  /** {@code topk}/{@code bottomk}: the k largest/smallest members, labels kept, largest first. */
  static List<Sample> topk(String op, double param, List<Sample> members) {
    long k = (long) param;
    if (Double.isNaN(param) || k < 1) {
      return List.of();
    }
    boolean top = op.equals("topk");
    // NaN sorts last either way, as it never wins a comparison in Prometheus's heap.
    Comparator<Sample> order =
        (x, y) -> {
          boolean xn = Double.isNaN(x.value());
          boolean yn = Double.isNaN(y.value());
          if (xn || yn) {
            return Boolean.compare(xn, yn);
          }
          return top ? Double.compare(y.value(), x.value()) : Double.compare(x.value(), y.value());
        };
    List<Sample> sorted = new ArrayList<>(members);
    sorted.sort(order);
    return sorted.subList(0, (int) Math.min(k, sorted.size()));
  }

  /** Prometheus's {@code quantile}: linear interpolation between the closest ranks. */
  static double quantile(double q, double[] values) {
    if (values.length == 0 || Double.isNaN(q)) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    double rank = q * (v.length - 1);
    int lower = (int) Math.max(0, Math.floor(rank));
    int upper = Math.min(v.length - 1, lower + 1);
    double weight = rank - Math.floor(rank);
    return v[lower] * (1 - weight) + v[upper] * weight;
  }

  /**
   * Prometheus's {@code histogram_quantile} over one series' buckets (upper bound to cumulative
   * count): NaN without a {@code +Inf} bucket or observations; counts forced monotonic; linear
   * interpolation inside the bucket, 0 as the lower bound of the first one when it is positive; the
   * second-highest bound when the rank falls in the {@code +Inf} bucket.
   */
  static double bucketQuantile(double q, NavigableMap<Double, Double> buckets) {
    if (Double.isNaN(q)) {
      return Double.NaN;
    }
    if (q < 0) {
      return Double.NEGATIVE_INFINITY;
    }
    if (q > 1) {
      return Double.POSITIVE_INFINITY;
    }
    if (buckets.isEmpty() || buckets.lastKey() != Double.POSITIVE_INFINITY) {
      return Double.NaN;
    }
    int n = buckets.size();
    if (n < 2) {
      return Double.NaN;
    }
    double[] bounds = new double[n];
    double[] counts = new double[n];
    int i = 0;
    double max = Double.NEGATIVE_INFINITY;
    for (Map.Entry<Double, Double> e : buckets.entrySet()) {
      bounds[i] = e.getKey();
      max = Math.max(max, e.getValue());
      counts[i] = max;
      i++;
    }
    double observations = counts[n - 1];
    if (observations == 0) {
      return Double.NaN;
    }
    double rank = q * observations;
    int b = 0;
    while (b < n - 1 && counts[b] < rank) {
      b++;
    }
    if (b == n - 1) {
      return bounds[n - 2];
    }
    if (b == 0 && bounds[0] <= 0) {
      return bounds[0];
    }
    double bucketStart = 0;
    double count = counts[b];
    if (b > 0) {
      bucketStart = bounds[b - 1];
      count -= counts[b - 1];
      rank -= counts[b - 1];
    }
    return bucketStart + (bounds[b] - bucketStart) * (rank / count);
  }
}
