package dev.metricspipeline.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.metricspipeline.promql.Evaluator.Result;
import dev.metricspipeline.promql.Evaluator.Series;
import dev.metricspipeline.promql.Expr.ValueType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The evaluator over rollup windows built here from known samples: a counter sampled every 15 s
 * rolled up into 1m and 5m windows as the streams stage would, gauges, and histogram buckets.
 */
class EvaluatorTest {

  private static final long M = 60_000;
  private static final long T0 = 1_764_000_000_000L; // a multiple of 1h
  private static final List<Long> RESOLUTIONS = List.of(M, 5 * M);

  /** Windows kept in memory, per resolution and series, the way the sink's store keeps them. */
  static final class MemoryStorage implements Storage {
    /**
     * One window as the test writes it; {@code increase} and {@code resets} null when no counter.
     */
    record Window(
        long start,
        long count,
        double sum,
        double min,
        double max,
        double first,
        double last,
        Double increase,
        Long resets) {}

    final List<Series> series = new ArrayList<>();
    final Map<Long, Map<Long, TreeMap<Long, Window>>> windows = new HashMap<>();

    long add(Map<String, String> labels) {
      long id = series.size();
      series.add(new Series(id, Labels.of(labels)));
      return id;
    }

    void put(long id, long resolution, Window w) {
      windows
          .computeIfAbsent(resolution, r -> new HashMap<>())
          .computeIfAbsent(id, i -> new TreeMap<>())
          .put(w.start(), w);
    }

    @Override
    public List<Long> resolutions() {
      return RESOLUTIONS;
    }

    @Override
    public List<Series> select(List<Expr.Matcher> matchers) {
      return series.stream()
          .filter(s -> matchers.stream().allMatch(m -> m.matches(s.labels().get(m.name()))))
          .toList();
    }

    @Override
    public Map<Long, Windows> windows(
        Collection<Long> ids,
        long resolution,
        long fromStart,
        long toStart,
        java.util.Set<Windows.Field> fields) {
      Map<Long, Windows> out = new LinkedHashMap<>();
      for (long id : ids) {
        TreeMap<Long, Window> w = windows.getOrDefault(resolution, Map.of()).get(id);
        if (w != null) {
          Windows.Builder b = Windows.builder();
          for (Window x : w.subMap(fromStart, true, toStart, true).values()) {
            // Only the fields asked for, as the store reads them: a function reading a field
            // the evaluator did not ask for sees NaN and fails its test.
            boolean counter =
                (fields.contains(Windows.Field.INCREASE) || fields.contains(Windows.Field.RESETS))
                    && x.increase() != null;
            b.add(
                x.start(),
                fields.contains(Windows.Field.COUNT) ? x.count() : 0,
                fields.contains(Windows.Field.SUM) ? x.sum() : Double.NaN,
                fields.contains(Windows.Field.MIN) ? x.min() : Double.NaN,
                fields.contains(Windows.Field.MAX) ? x.max() : Double.NaN,
                fields.contains(Windows.Field.FIRST) ? x.first() : Double.NaN,
                fields.contains(Windows.Field.LAST) ? x.last() : Double.NaN,
                counter,
                counter && fields.contains(Windows.Field.INCREASE) ? x.increase() : Double.NaN,
                counter && fields.contains(Windows.Field.RESETS) ? x.resets() : 0);
          }
          out.put(id, b.build());
        }
      }
      return out;
    }

    /**
     * Rolls samples every 15 s from {@code from} to {@code to} (exclusive) up into windows of each
     * resolution, as the streams stage does: a counter's increase includes the step from the
     * previous window's last sample and restarts from 0 after a reset.
     */
    void samples(long id, long from, long to, boolean counter, DoubleUnaryOperator valueAt) {
      for (long r : RESOLUTIONS) {
        Double previous = null;
        for (long start = from; start < to; start += r) {
          long count = 0;
          double sum = 0;
          double min = Double.NaN;
          double max = Double.NaN;
          double first = Double.NaN;
          double last = Double.NaN;
          double increase = 0;
          long resets = 0;
          for (long t = start; t < start + r && t < to; t += 15_000) {
            double v = valueAt.applyAsDouble(t);
            count++;
            sum += v;
            min = Double.isNaN(min) ? v : Math.min(min, v);
            max = Double.isNaN(max) ? v : Math.max(max, v);
            if (Double.isNaN(first)) {
              first = v;
            }
            last = v;
            if (previous != null) {
              if (v < previous) {
                resets++;
                increase += v;
              } else {
                increase += v - previous;
              }
            }
            previous = v;
          }
          put(
              id,
              r,
              new Window(
                  start,
                  count,
                  sum,
                  min,
                  max,
                  first,
                  last,
                  counter ? increase : null,
                  counter ? resets : null));
        }
      }
    }
  }

  private MemoryStorage storage;
  private Evaluator evaluator;

  @BeforeEach
  void fill() {
    storage = new MemoryStorage();
    evaluator = new Evaluator(storage);
    // Two counters growing 1/s and 2/s over one hour; a gauge; a histogram with three buckets.
    storage.samples(
        storage.add(Map.of("__name__", "http_requests_total", "job", "api", "instance", "a")),
        T0,
        T0 + 60 * M,
        true,
        t -> (t - T0) / 1000.0);
    storage.samples(
        storage.add(Map.of("__name__", "http_requests_total", "job", "api", "instance", "b")),
        T0,
        T0 + 60 * M,
        true,
        t -> 2 * (t - T0) / 1000.0);
    storage.samples(
        storage.add(Map.of("__name__", "http_requests_total", "job", "db", "instance", "c")),
        T0,
        T0 + 60 * M,
        true,
        // Resets to 0 at 30 minutes.
        t -> ((t - T0) % (30 * M)) / 1000.0);
    storage.samples(
        storage.add(Map.of("__name__", "temperature", "room", "kitchen")),
        T0,
        T0 + 60 * M,
        false,
        t -> 20 + Math.floor((t - T0) / M) % 10);
    double[] perBucket = {1, 3, 4}; // le 0.1, 0.5, +Inf: 1, 4 and 8 a second cumulative
    String[] bounds = {"0.1", "0.5", "+Inf"};
    double[] cumulative = {1, 4, 8};
    for (int i = 0; i < bounds.length; i++) {
      double c = cumulative[i];
      storage.samples(
          storage.add(Map.of("__name__", "latency_seconds_bucket", "job", "api", "le", bounds[i])),
          T0,
          T0 + 60 * M,
          true,
          t -> c * (t - T0) / 1000.0);
    }
    assertThat(perBucket).hasSize(3);
  }

  private Result instant(String query, long t) {
    return evaluator.instant(Parser.parse(query), t);
  }

  private Map<String, Double> values(String query, long t) {
    Map<String, Double> out = new TreeMap<>();
    for (Series s : instant(query, t).series()) {
      out.put(s.labels().toString(), s.points().get(0).value());
    }
    return out;
  }

  private double only(String query, long t) {
    Result r = instant(query, t);
    assertThat(r.series()).as(query).hasSize(1);
    return r.series().get(0).points().get(0).value();
  }

  /**
   * Aggregations over a selector or a range function are folded series by series before the steps
   * (a fast path); wrapping the input in {@code (... + 0)} forces the step-by-step path. Both must
   * give the same series with the same bits at every step, including steps where some series have
   * no value (before the data, inside the lookback only, after it).
   */
  @Test
  void foldedAggregationsEqualTheStepByStepOnesBitForBit() {
    storage.samples(
        storage.add(Map.of("__name__", "http_requests_total", "job", "api", "instance", "late")),
        T0 + 20 * M,
        T0 + 40 * M,
        true,
        t -> 0.1 * (t - T0) / 1000.0 + 1e9);
    for (String op : List.of("sum", "avg", "min", "max", "count", "group")) {
      for (String inner :
          List.of(
              "rate(http_requests_total[5m])",
              "increase(http_requests_total[2m])",
              "max_over_time(temperature[3m])",
              "last_over_time(http_requests_total[1m])",
              "http_requests_total",
              "http_requests_total offset 7m")) {
        for (String grouping : List.of("", " by (job)", " without (instance)")) {
          String folded = op + grouping + " (" + inner + ")";
          String stepwise = op + grouping + " (" + inner + " + 0)";
          Result a = evaluator.range(Parser.parse(folded), T0 - 10 * M, T0 + 80 * M, 60_000);
          Result b = evaluator.range(Parser.parse(stepwise), T0 - 10 * M, T0 + 80 * M, 60_000);
          assertThat(a.series()).as(folded).isNotEmpty();
          assertThat(bits(a)).as(folded).isEqualTo(bits(b));
          long t = T0 + 23 * M + 17_000;
          assertThat(bits(evaluator.instant(Parser.parse(folded), t)))
              .as(folded)
              .isEqualTo(bits(evaluator.instant(Parser.parse(stepwise), t)));
        }
      }
    }
  }

  private static Map<String, List<Long>> bits(Result r) {
    Map<String, List<Long>> out = new TreeMap<>();
    for (Series s : r.series()) {
      List<Long> points = new ArrayList<>();
      for (Evaluator.Point p : s.points()) {
        points.add(p.timeMs());
        points.add(Double.doubleToLongBits(p.value()));
      }
      out.put(s.labels().toString(), points);
    }
    return out;
  }

  @Test
  void anInstantSelectorIsTheLastValueOfTheNewestClosedWindowWithin5Minutes() {
    long t = T0 + 30 * M;
    // The window [29m, 30m) ended at t; its last sample is at 29m45s.
    assertThat(only("http_requests_total{instance=\"a\"}", t)).isEqualTo(29 * 60 + 45);
    assertThat(
            instant("http_requests_total{instance=\"a\"}", t)
                .series()
                .get(0)
                .labels()
                .get(Labels.NAME))
        .isEqualTo("http_requests_total");
    // Between window ends, the newest closed window still answers.
    assertThat(only("http_requests_total{instance=\"a\"}", t + 30_000)).isEqualTo(29 * 60 + 45);
    // The last window ends at 60m; 5 minutes later it is out of the lookback.
    assertThat(values("temperature", T0 + 64 * M)).hasSize(1);
    assertThat(values("temperature", T0 + 65 * M)).isEmpty();
    assertThat(only("http_requests_total{instance=\"a\"} offset 10m", t)).isEqualTo(19 * 60 + 45);
  }

  @Test
  void rateAndIncreaseAreExactFromWindowsOfEitherResolution() {
    long t = T0 + 20 * M;
    // 5m windows (t aligned to 5m) and ten 1m windows (t + 1m is not) give the same exact figure.
    assertThat(only("increase(http_requests_total{instance=\"a\"}[5m])", t)).isEqualTo(300);
    assertThat(only("increase(http_requests_total{instance=\"a\"}[5m])", t + M)).isEqualTo(300);
    assertThat(only("rate(http_requests_total{instance=\"b\"}[10m])", t)).isEqualTo(2);
    assertThat(only("irate(http_requests_total{instance=\"b\"}[5m])", t)).isEqualTo(2);
    // Across the reset at 30m: 1485 → 1785, reset to 0, → 285: 300 + 0 + 285.
    assertThat(only("increase(http_requests_total{job=\"db\"}[10m])", T0 + 35 * M)).isEqualTo(585);
    assertThat(only("resets(http_requests_total{job=\"db\"}[10m])", T0 + 35 * M)).isEqualTo(1);
    // A gauge has no increase: it drops out rather than being answered wrongly.
    assertThat(values("rate(temperature[5m])", t)).isEmpty();
    assertThat(values("rate(http_requests_total[5m])", t)).hasSize(3);
    assertThat(instant("rate(http_requests_total[5m])", t).series().get(0).labels().get("__name__"))
        .isNull();
  }

  @Test
  void overTimeFunctionsReadTheirFields() {
    long t = T0 + 10 * M; // windows 5..9m: values 25..29
    assertThat(only("max_over_time(temperature[5m])", t)).isEqualTo(29);
    assertThat(only("min_over_time(temperature[5m])", t)).isEqualTo(25);
    assertThat(only("avg_over_time(temperature[5m])", t)).isEqualTo(27);
    assertThat(only("sum_over_time(temperature[5m])", t)).isEqualTo(4 * (25 + 26 + 27 + 28 + 29));
    assertThat(only("count_over_time(temperature[5m])", t)).isEqualTo(20);
    assertThat(only("last_over_time(temperature[5m])", t)).isEqualTo(29);
    assertThat(only("delta(temperature[5m])", t)).isEqualTo(4);
    assertThat(
            instant("last_over_time(temperature[5m])", t).series().get(0).labels().get("__name__"))
        .as("last_over_time keeps the name")
        .isEqualTo("temperature");
  }

  @Test
  void aggregationsGroupAsPrometheusDoes() {
    long t = T0 + 20 * M;
    assertThat(values("sum by (job) (rate(http_requests_total[5m]))", t))
        .containsEntry("{job=\"api\"}", 3.0)
        .containsEntry("{job=\"db\"}", 1.0);
    assertThat(values("sum without (instance) (rate(http_requests_total[5m]))", t))
        .containsOnlyKeys("{job=\"api\"}", "{job=\"db\"}");
    assertThat(only("sum(rate(http_requests_total[5m]))", t)).isEqualTo(4);
    assertThat(only("avg(rate(http_requests_total[5m]))", t)).isCloseTo(4 / 3.0, within(1e-12));
    assertThat(only("max(rate(http_requests_total[5m]))", t)).isEqualTo(2);
    assertThat(only("min(rate(http_requests_total[5m]))", t)).isEqualTo(1);
    assertThat(only("count(rate(http_requests_total[5m]))", t)).isEqualTo(3);
    assertThat(values("group by (job) (http_requests_total)", t)).hasSize(2);
    assertThat(only("quantile(0.5, rate(http_requests_total[5m]))", t)).isEqualTo(1);
    assertThat(only("quantile(0.75, rate(http_requests_total[5m]))", t)).isEqualTo(1.5);
    Result top = instant("topk(1, rate(http_requests_total[5m]))", t);
    assertThat(top.series()).hasSize(1);
    assertThat(top.series().get(0).labels().get("instance")).isEqualTo("b");
    assertThat(values("bottomk by (job) (1, http_requests_total)", t)).hasSize(2);
  }

  @Test
  void binaryOperatorsMatchAndLabelAsPrometheusDoes() {
    long t = T0 + 20 * M;
    assertThat(values("rate(http_requests_total[5m]) * 60", t)).containsValues(60.0, 120.0);
    assertThat(values("http_requests_total > 2000", t)).hasSize(1);
    assertThat(values("http_requests_total > bool 2000", t)).containsValues(0.0, 1.0);
    assertThat(instant("http_requests_total > 2000", t).series().get(0).labels().get("__name__"))
        .as("a filtering comparison keeps the name")
        .isEqualTo("http_requests_total");
    assertThat(instant("1 + 2 * 3 ^ 2", t).value()).isEqualTo(19);
    assertThat(instant("2 > bool 1", t).value()).isEqualTo(1);
    // One-to-one on all labels but the name.
    assertThat(values("rate(http_requests_total[5m]) / rate(http_requests_total[5m] offset 5m)", t))
        .hasSize(3)
        .allSatisfy((k, v) -> assertThat(v).isEqualTo(1.0));
    // Many-to-one: every instance divided by its job's total, keeping the instance label.
    assertThat(
            values(
                "rate(http_requests_total[5m]) / on (job) group_left"
                    + " sum by (job) (rate(http_requests_total[5m]))",
                t))
        .containsEntry("{instance=\"a\", job=\"api\"}", 1 / 3.0)
        .containsEntry("{instance=\"b\", job=\"api\"}", 2 / 3.0)
        .containsEntry("{instance=\"c\", job=\"db\"}", 1.0);
    assertThatThrownBy(
            () ->
                instant(
                    "rate(http_requests_total[5m]) / on (job)"
                        + " sum by (job) (rate(http_requests_total[5m]))",
                    t))
        .isInstanceOf(EvaluationException.class)
        .hasMessageContaining("many-to-one matching must be explicit");
    assertThat(values("http_requests_total and on (job) http_requests_total{job=\"db\"}", t))
        .hasSize(1);
    assertThat(values("http_requests_total unless on (job) http_requests_total{job=\"db\"}", t))
        .hasSize(2);
    assertThat(values("http_requests_total{job=\"db\"} or temperature", t)).hasSize(2);
  }

  @Test
  void histogramQuantileInterpolatesInsideTheBucket() {
    long t = T0 + 20 * M;
    // Rates 1, 4, 8 a second at le 0.1, 0.5, +Inf. Median: rank 4 → the top of le=0.5.
    assertThat(only("histogram_quantile(0.5, rate(latency_seconds_bucket[5m]))", t)).isEqualTo(0.5);
    // q=0.25: rank 2 in (0.1, 0.5] holding 3: 0.1 + 0.4 * (1/3).
    assertThat(only("histogram_quantile(0.25, rate(latency_seconds_bucket[5m]))", t))
        .isCloseTo(0.1 + 0.4 / 3, within(1e-12));
    // In the +Inf bucket: the highest finite bound.
    assertThat(only("histogram_quantile(0.9, rate(latency_seconds_bucket[5m]))", t)).isEqualTo(0.5);
    assertThat(
            instant("histogram_quantile(0.9, rate(latency_seconds_bucket[5m]))", t)
                .series()
                .get(0)
                .labels()
                .toString())
        .isEqualTo("{job=\"api\"}");
  }

  @Test
  void functionsOnValuesAndLabels() {
    long t = T0 + 20 * M;
    assertThat(only("round(rate(http_requests_total{instance=\"a\"}[5m]) / 3, 0.01)", t))
        .isEqualTo(0.33);
    assertThat(only("clamp_max(temperature, 21)", t)).isEqualTo(21);
    assertThat(only("clamp_min(temperature, 100)", t)).isEqualTo(100);
    assertThat(only("abs(-temperature)", t)).isEqualTo(29);
    assertThat(only("ceil(rate(http_requests_total{instance=\"a\"}[5m]) / 3)", t)).isEqualTo(1);
    assertThat(only("floor(rate(http_requests_total{instance=\"a\"}[5m]) / 3)", t)).isEqualTo(0);
    assertThat(instant("time()", t).value()).isEqualTo(t / 1000.0);
    assertThat(instant("scalar(temperature)", t).value()).isEqualTo(29);
    assertThat(only("vector(5)", t)).isEqualTo(5);
    assertThat(
            instant("label_replace(temperature, \"area\", \"$1-${2}x\", \"room\", \"(.)(.*)\")", t)
                .series()
                .get(0)
                .labels()
                .get("area"))
        .isEqualTo("k-itchenx");
    assertThat(
            instant("label_replace(temperature, \"area\", \"$1\", \"room\", \"nomatch\")", t)
                .series()
                .get(0)
                .labels()
                .get("area"))
        .isNull();
  }

  @Test
  void aRangeQueryIsAMatrixSortedByLabels() {
    Result r =
        evaluator.range(
            Parser.parse("sum by (job) (rate(http_requests_total[5m]))"),
            T0 + 10 * M,
            T0 + 20 * M,
            5 * M);
    assertThat(r.type()).isEqualTo(ValueType.MATRIX);
    assertThat(r.series())
        .extracting(s -> s.labels().toString())
        .containsExactly("{job=\"api\"}", "{job=\"db\"}");
    assertThat(r.series().get(0).points())
        .extracting(Evaluator.Point::value)
        .containsExactly(3.0, 3.0, 3.0);
    Result scalar = evaluator.range(Parser.parse("1 + 1"), T0, T0 + 2 * M, M);
    assertThat(scalar.series()).hasSize(1);
    assertThat(scalar.series().get(0).points()).hasSize(3);
  }

  @Test
  void aQueryThatCouldReadMoreWindowsThanTheLimitIsRefusedBeforeReading() {
    // Three counters, a [5m] range at one time from 5m windows: 3 windows; the limit is 2.
    Evaluator bounded = new Evaluator(storage, 2);
    assertThatThrownBy(
            () -> bounded.instant(Parser.parse("rate(http_requests_total[5m])"), T0 + 20 * M))
        .isInstanceOf(EvaluationException.class)
        .hasMessageContaining("too many samples")
        .hasMessageContaining("more than 2 rollup windows");
    assertThat(
            new Evaluator(storage, 3)
                .instant(Parser.parse("rate(http_requests_total[5m])"), T0 + 20 * M)
                .series())
        .hasSize(3);
  }

  @Test
  void deepNestingIsRefusedNotAStackOverflow() {
    assertThatThrownBy(() -> Parser.parse("(".repeat(20_000) + "1" + ")".repeat(20_000)))
        .isInstanceOf(PromQLException.class)
        .hasMessageContaining("nested more than 200 deep");
    assertThatThrownBy(() -> Parser.parse("-".repeat(50_000) + "1"))
        .isInstanceOf(PromQLException.class);
    assertThatThrownBy(() -> Parser.parse("1" + " + 1".repeat(100_000)))
        .isInstanceOf(PromQLException.class)
        .hasMessageContaining("more than 1000 binary operators");
    assertThat(instant("(((1 + 2)))", T0).value()).isEqualTo(3);
    assertThat(
            instant("label_replace(temperature, (\"area\"), \"x\", \"room\", \".*\")", T0 + 20 * M)
                .series()
                .get(0)
                .labels()
                .get("area"))
        .isEqualTo("x");
  }

  @Test
  void whatRollupsCannotAnswerIsRefusedByName() {
    assertThatThrownBy(() -> instant("rate(http_requests_total[90s])", T0))
        .isInstanceOf(PromQLException.class)
        .hasMessageContaining("range [1m30s] in rate(...) is not a multiple of a stored rollup")
        .hasMessageContaining("(1m, 5m)");
    assertThatThrownBy(() -> instant("http_requests_total[5m]", T0))
        .isInstanceOf(PromQLException.class)
        .hasMessageContaining("range vector as the result is not supported");
    assertThatThrownBy(
            () ->
                instant(
                    "label_replace(rate(http_requests_total{job=\"api\"}[5m]),"
                        + " \"instance\", \"\", \"\", \"\")",
                    T0 + 20 * M))
        .isInstanceOf(EvaluationException.class)
        .hasMessageContaining("vector cannot contain metrics with the same labelset");
  }
}
