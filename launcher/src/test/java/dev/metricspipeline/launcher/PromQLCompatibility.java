package dev.metricspipeline.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Issue #15's compatibility table: PromQL expressions of the shapes real dashboards use
 * (node-exporter-full, Prometheus's own overview, RED dashboards), each evaluated by Debian's
 * {@code prometheus} over its own samples and by our query API over the rollups of the same samples
 * (remote_written by that Prometheus), at the same window-aligned time.
 *
 * <p>The rule each row is held to is the one {@code docs/ARCHITECTURE.md} ("Query") documents:
 *
 * <ul>
 *   <li>{@link Kind#EXACT}: selectors, {@code *_over_time}, aggregations, operators and label
 *       functions read sample values, and at a window-aligned time the samples our windows hold
 *       ({@code [t - R, t)}) are Prometheus's ({@code (t - R, t]}) unless one falls exactly on a
 *       boundary: equal to 1e-9.
 *   <li>{@link Kind#EXTRAPOLATED}: {@code rate}, {@code increase}, {@code delta} and what is built
 *       on them. Ours is the exact increase between the last samples before {@code t - R} and
 *       before {@code t}; Prometheus's extrapolates the samples inside the range to its ends. Both
 *       are the counter's increase over {@code R} measured one scrape interval apart at each end,
 *       so they differ by one interval's increase at the start against the average one the
 *       extrapolation adds: relative {@code interval / R} for a steady counter, held to {@code 3 ×
 *       interval / R + 1%} so that a busy machine's CPU counters (an interval's increase up to
 *       about three times the average) pass; ticks of small CPU modes are left out.
 *   <li>{@link Kind#DIFFERENT}: documented to differ ({@code irate} is the rate over the last
 *       finest window, not over the last two samples): compared and reported, not asserted.
 * </ul>
 */
final class PromQLCompatibility {

  enum Kind {
    EXACT,
    EXTRAPOLATED,
    DIFFERENT
  }

  /** One expression, how it is held, and the range in it (for the extrapolation bound). */
  record Case(String expr, Kind kind, int rangeSeconds) {
    static Case exact(String expr) {
      return new Case(expr, Kind.EXACT, 0);
    }

    static Case extrapolated(String expr, int rangeSeconds) {
      return new Case(expr, Kind.EXTRAPOLATED, rangeSeconds);
    }

    static Case different(String expr) {
      return new Case(expr, Kind.DIFFERENT, 0);
    }
  }

  /** The outcome of one expression at one time. */
  record Row(
      Case c, long timeMs, int theirSeries, int ourSeries, double maxRelativeDiff, boolean ok) {
    String line() {
      return String.format(
          Locale.ROOT,
          "| `%s` | %s | %d | %d | %s | %s |",
          c.expr().replace("|", "\\|"),
          c.kind().name().toLowerCase(Locale.ROOT),
          theirSeries,
          ourSeries,
          Double.isNaN(maxRelativeDiff) ? "-" : String.format(Locale.ROOT, "%.2g", maxRelativeDiff),
          ok ? "equal" : c.kind() == Kind.DIFFERENT ? "differs (documented)" : "MISMATCH");
    }
  }

  /** The expressions: 68, over node_exporter, Prometheus itself and a synthetic RED target. */
  static final List<Case> CASES =
      List.of(
          Case.exact("up"),
          Case.exact("up{job=\"node\"}"),
          Case.exact("node_load1"),
          Case.exact("node_memory_MemAvailable_bytes"),
          Case.exact("node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes"),
          Case.exact("100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)"),
          Case.exact(
              "node_memory_MemTotal_bytes - node_memory_MemFree_bytes - node_memory_Buffers_bytes"
                  + " - node_memory_Cached_bytes"),
          Case.exact("node_memory_MemFree_bytes / 1024 / 1024"),
          Case.exact("node_memory_MemFree_bytes / on (instance, job) node_memory_MemTotal_bytes"),
          Case.exact("node_time_seconds - node_boot_time_seconds"),
          Case.exact("sum by (job) (up)"),
          Case.exact("count by (job) (up)"),
          Case.exact("count(count by (cpu) (node_cpu_seconds_total))"),
          Case.exact("max_over_time(node_load1[1m])"),
          Case.exact("min_over_time(node_load1[2m])"),
          Case.exact("avg_over_time(node_memory_MemFree_bytes[2m])"),
          Case.exact("sum_over_time(up[1m])"),
          Case.exact("count_over_time(up[2m])"),
          Case.exact("last_over_time(node_load5[1m])"),
          Case.exact("max_over_time(node_load1[1m] offset 1m)"),
          Case.exact("node_load1 offset 1m"),
          Case.exact("topk(3, node_cpu_seconds_total)"),
          Case.exact("bottomk(2, node_cpu_seconds_total{mode=\"idle\"})"),
          Case.exact("quantile(0.9, node_cpu_seconds_total)"),
          Case.exact("max by (mode) (node_cpu_seconds_total)"),
          Case.exact("min without (cpu) (node_cpu_seconds_total)"),
          Case.exact("avg by (mode) (node_cpu_seconds_total)"),
          Case.exact("group by (mode) (node_cpu_seconds_total)"),
          Case.exact("node_cpu_seconds_total{mode=~\"user|system\"}"),
          Case.exact("node_cpu_seconds_total{mode!~\"idle|iowait\"}"),
          Case.exact("node_cpu_seconds_total{mode!=\"idle\"} > 10"),
          Case.exact("node_cpu_seconds_total > bool 100"),
          Case.exact(
              "node_cpu_seconds_total / on (instance) group_left node_memory_MemTotal_bytes"),
          Case.exact("node_cpu_seconds_total and on (mode) node_cpu_seconds_total{cpu=\"0\"}"),
          Case.exact("up or node_load1"),
          Case.exact("node_cpu_seconds_total unless node_cpu_seconds_total{mode=\"idle\"}"),
          Case.exact("label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")"),
          Case.exact("abs(node_load1 - 10)"),
          Case.exact("ceil(node_load1)"),
          Case.exact("floor(node_load1)"),
          Case.exact("round(node_memory_MemFree_bytes / 1e6, 0.1)"),
          Case.exact("clamp_max(node_load1, 0.1)"),
          Case.exact("clamp_min(node_load1, 1)"),
          Case.exact("-node_load1"),
          Case.exact("vector(1)"),
          Case.exact("scalar(count(up))"),
          Case.exact("time()"),
          Case.exact("prometheus_tsdb_head_series"),
          Case.exact("max by (job) (prometheus_tsdb_head_series)"),
          Case.exact("synthetic_temperature"),
          Case.exact("avg_over_time(synthetic_temperature[2m])"),
          Case.exact("sum by (room) (synthetic_temperature)"),
          Case.extrapolated("rate(synthetic_requests_total[1m])", 60),
          Case.extrapolated("sum by (path) (rate(synthetic_requests_total[2m]))", 120),
          Case.extrapolated(
              "sum(rate(synthetic_requests_total{code=~\"5..\"}[1m]))"
                  + " / sum(rate(synthetic_requests_total[1m]))",
              60),
          Case.extrapolated("increase(synthetic_requests_total[2m])", 120),
          Case.extrapolated("topk(1, rate(synthetic_requests_total[1m]))", 60),
          Case.extrapolated(
              "histogram_quantile(0.9, sum by (le) (rate(synthetic_latency_seconds_bucket[1m])))",
              60),
          Case.extrapolated(
              "histogram_quantile(0.5, sum by (path, le)"
                  + " (rate(synthetic_latency_seconds_bucket[2m])))",
              120),
          Case.extrapolated(
              "rate(synthetic_latency_seconds_sum[1m]) / rate(synthetic_latency_seconds_count[1m])",
              60),
          Case.extrapolated("delta(synthetic_temperature{room=\"rising\"}[2m])", 120),
          Case.exact("resets(synthetic_requests_total[2m])"),
          Case.extrapolated("rate(node_cpu_seconds_total{mode=\"idle\"}[1m])", 60),
          Case.extrapolated(
              "sum by (mode) (rate(node_cpu_seconds_total{mode=~\"idle|user|system\"}[2m]))", 120),
          Case.extrapolated(
              "100 - (avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[1m])) * 100)",
              60),
          Case.extrapolated(
              "sum by (handler) (rate(prometheus_http_requests_total{handler=\"/metrics\"}[2m]))",
              120),
          Case.different("irate(synthetic_requests_total[1m])"),
          Case.different("irate(node_cpu_seconds_total{mode=\"idle\"}[1m])"));

  private final String prometheusUrl;
  private final String ourUrl;
  private final double scrapeIntervalSeconds;

  PromQLCompatibility(String prometheusUrl, String ourUrl, double scrapeIntervalSeconds) {
    this.prometheusUrl = prometheusUrl;
    this.ourUrl = ourUrl;
    this.scrapeIntervalSeconds = scrapeIntervalSeconds;
  }

  /** Every case at one time. */
  List<Row> compare(long timeMs) throws Exception {
    List<Row> rows = new ArrayList<>();
    for (Case c : CASES) {
      rows.add(compare(c, timeMs));
    }
    return rows;
  }

  private Row compare(Case c, long timeMs) throws Exception {
    Map<String, Double> theirs = query(prometheusUrl, c.expr(), timeMs);
    Map<String, Double> ours = query(ourUrl, c.expr(), timeMs);
    double tolerance =
        c.kind() == Kind.EXTRAPOLATED ? 3 * scrapeIntervalSeconds / c.rangeSeconds() + 0.01 : 1e-9;
    double worst = Double.NaN;
    boolean ok = theirs.keySet().equals(ours.keySet());
    for (Map.Entry<String, Double> e : theirs.entrySet()) {
      Double mine = ours.get(e.getKey());
      if (mine == null) {
        continue;
      }
      double a = e.getValue();
      double b = mine;
      double diff;
      if (Double.isNaN(a) || Double.isNaN(b)) {
        diff = Double.isNaN(a) && Double.isNaN(b) ? 0 : Double.POSITIVE_INFINITY;
      } else if (a == b) {
        diff = 0;
      } else {
        diff = Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
      }
      worst = Double.isNaN(worst) ? diff : Math.max(worst, diff);
      if (diff > tolerance) {
        ok = false;
      }
    }
    return new Row(c, timeMs, theirs.size(), ours.size(), worst, ok);
  }

  /** An instant query's result: labels to value ({@code {}} for a scalar). */
  private Map<String, Double> query(String base, String expr, long timeMs) throws Exception {
    JsonNode body = TestPipelines.instantQuery(base, expr, timeMs);
    Map<String, Double> out = new TreeMap<>();
    JsonNode result = body.at("/data/result");
    String type = body.at("/data/resultType").asText();
    if (type.equals("scalar")) {
      out.put("{}", value(result.get(1).asText()));
      return out;
    }
    for (JsonNode series : result) {
      Map<String, String> labels = new TreeMap<>();
      series.get("metric").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
      out.put(labels.toString(), value(series.get("value").get(1).asText()));
    }
    return out;
  }

  private static double value(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(text);
    };
  }
}
