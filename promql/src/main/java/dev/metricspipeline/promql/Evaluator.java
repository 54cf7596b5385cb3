package dev.metricspipeline.promql;

import dev.metricspipeline.promql.Expr.Aggregate;
import dev.metricspipeline.promql.Expr.Binary;
import dev.metricspipeline.promql.Expr.Call;
import dev.metricspipeline.promql.Expr.Cardinality;
import dev.metricspipeline.promql.Expr.MatrixSelector;
import dev.metricspipeline.promql.Expr.NumberLiteral;
import dev.metricspipeline.promql.Expr.Paren;
import dev.metricspipeline.promql.Expr.StringLiteral;
import dev.metricspipeline.promql.Expr.Unary;
import dev.metricspipeline.promql.Expr.ValueType;
import dev.metricspipeline.promql.Expr.VectorMatching;
import dev.metricspipeline.promql.Expr.VectorSelector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * Evaluates a parsed PromQL expression over stored rollup windows (see {@code
 * docs/ARCHITECTURE.md}, "Query", for how each function maps to rollup fields and where results
 * differ from PromQL over raw samples).
 *
 * <ul>
 *   <li>An instant selector at time {@code t} is the {@code last} value of the newest window of the
 *       finest resolution that ended at or before {@code t} and after {@code t - 5m} (Prometheus's
 *       lookback).
 *   <li>A range {@code [R]} is read from whole windows of one resolution that divides {@code R}:
 *       the coarsest that also divides the step and the start of a range query (so every step is
 *       window-aligned), else the finest that divides {@code R}. At {@code t} the windows are the
 *       {@code R / r} that end at or before {@code floor(t / r) * r}. A range that no resolution
 *       divides is refused.
 *   <li>{@code increase} is the sum of the windows' exact reset-aware increases (each including the
 *       step from the previous window's last sample), {@code rate} that over {@code R}; no
 *       extrapolation. Series that are not counters have no increase and drop out of {@code rate},
 *       {@code irate}, {@code increase} and {@code resets}.
 * </ul>
 *
 * <p>The evaluator reads every selector's windows for the whole query once, then evaluates step by
 * step. It holds no state between queries and is safe to share.
 */
public final class Evaluator {

  /** How far back an instant selector looks for a value, as in Prometheus. */
  public static final long LOOKBACK_MS = 300_000;

  private final Storage storage;
  private final long maxWindows;

  /** An evaluator without a bound on the windows a query reads (for tests and tools). */
  public Evaluator(Storage storage) {
    this(storage, Long.MAX_VALUE);
  }

  /**
   * @param maxWindows the most windows one query may read: a query whose selectors could read more
   *     (selected series × windows in the time range, counted before reading) is refused with
   *     Prometheus's "too many samples" error, as its {@code --query.max-samples} does
   */
  public Evaluator(Storage storage, long maxWindows) {
    this.storage = storage;
    this.maxWindows = maxWindows;
  }

  /** One point of a series in a matrix. */
  public record Point(long timeMs, double value) {}

  /** One series of a result, with one point for a vector and any number for a matrix. */
  public record Series(Labels labels, List<Point> points) {}

  /**
   * A query's result.
   *
   * @param type {@code SCALAR}, {@code STRING}, {@code VECTOR} (instant queries) or {@code MATRIX}
   *     (range queries, and nothing else)
   * @param series the series of a vector or matrix, else empty
   * @param value the value of a scalar, else NaN
   * @param string the value of a string, else null
   */
  public record Result(
      ValueType type, List<Series> series, long timeMs, double value, String string) {}

  /** A value at one evaluation time. */
  record Sample(Labels labels, double value) {}

  /**
   * Evaluates at one time, as {@code /api/v1/query} does.
   *
   * @throws PromQLException when the query asks for what rollups cannot answer
   * @throws EvaluationException when the data makes the query fail
   */
  public Result instant(Expr expr, long timeMs) {
    refuseBareRange(expr);
    Run run = new Run(expr, timeMs, timeMs, 0);
    Object v = run.eval(expr, timeMs);
    return switch (expr.type()) {
      case SCALAR -> new Result(ValueType.SCALAR, List.of(), timeMs, (Double) v, null);
      case STRING -> new Result(ValueType.STRING, List.of(), timeMs, Double.NaN, (String) v);
      default -> {
        List<Series> out = new ArrayList<>();
        Set<Labels> seen = new HashSet<>();
        for (Sample s : vector(v)) {
          if (!seen.add(s.labels())) {
            throw duplicateLabelset(s.labels());
          }
          out.add(new Series(s.labels(), List.of(new Point(timeMs, s.value()))));
        }
        yield new Result(ValueType.VECTOR, out, timeMs, Double.NaN, null);
      }
    };
  }

  /**
   * Evaluates at {@code start}, {@code start + step}, … up to {@code end}, as {@code
   * /api/v1/query_range} does: always a matrix, series sorted by labels.
   */
  public Result range(Expr expr, long startMs, long endMs, long stepMs) {
    if (stepMs <= 0 || endMs < startMs) {
      throw new IllegalArgumentException("need step > 0 and end >= start");
    }
    refuseBareRange(expr);
    if (expr.type() == ValueType.STRING) {
      throw new PromQLException(
          -1,
          "invalid expression type \"string\" for range query, must be Scalar or instant Vector");
    }
    Run run = new Run(expr, startMs, endMs, stepMs);
    Map<Labels, List<Point>> series = new LinkedHashMap<>();
    for (long t = startMs; t <= endMs; t += stepMs) {
      Object v = run.eval(expr, t);
      if (v instanceof Double d) {
        series.computeIfAbsent(Labels.EMPTY, k -> new ArrayList<>()).add(new Point(t, d));
        continue;
      }
      for (Sample s : vector(v)) {
        List<Point> points = series.computeIfAbsent(s.labels(), k -> new ArrayList<>());
        if (!points.isEmpty() && points.get(points.size() - 1).timeMs() == t) {
          throw duplicateLabelset(s.labels());
        }
        points.add(new Point(t, s.value()));
      }
    }
    List<Series> out = new ArrayList<>();
    series.forEach((labels, points) -> out.add(new Series(labels, List.copyOf(points))));
    out.sort(Comparator.comparing(Series::labels));
    return new Result(ValueType.MATRIX, out, startMs, Double.NaN, null);
  }

  private static void refuseBareRange(Expr expr) {
    Expr inner = expr;
    while (inner instanceof Paren p) {
      inner = p.expr();
    }
    if (inner instanceof MatrixSelector) {
      throw new PromQLException(
          -1,
          "a range vector as the result is not supported: the store keeps rollup windows, not raw"
              + " samples; wrap it in a function such as max_over_time or last_over_time");
    }
  }

  private static EvaluationException duplicateLabelset(Labels labels) {
    return new EvaluationException(
        "vector cannot contain metrics with the same labelset " + labels);
  }

  @SuppressWarnings("unchecked")
  private static List<Sample> vector(Object v) {
    return (List<Sample>) v;
  }

  /**
   * The windows of one series at one resolution; {@code unnamed} is its labels without the metric
   * name, made once rather than at every step.
   */
  private record SeriesWindows(Labels labels, Labels unnamed, Windows windows) {}

  /** What one selector reads: its resolution and the windows of every series it selects. */
  private record Fetched(long resolution, List<SeriesWindows> series) {}

  /** One query's evaluation: the windows read up front, then step by step. */
  private final class Run {
    private final long start;
    private final long end;
    private final long step;
    private final Map<Expr, Fetched> fetched = new IdentityHashMap<>();
    private final Map<String, Pattern> regexes = new HashMap<>();
    private long windowsBudget = maxWindows;

    /** Per aggregation, each input label set's group (label sets repeat from step to step). */
    private final Map<Aggregate, Map<Labels, Labels>> groupKeys = new IdentityHashMap<>();

    /** Aggregations folded series by series before the steps are evaluated (see {@link #fold}). */
    private final Map<Aggregate, Folded> folded = new IdentityHashMap<>();

    Run(Expr expr, long start, long end, long step) {
      this.start = start;
      this.end = end;
      this.step = step;
      prefetch(expr);
      planFolds(expr);
    }

    private int steps() {
      return step == 0 ? 1 : (int) ((end - start) / step) + 1;
    }

    /**
     * Folds every aggregation that can be folded ahead: one of sum, avg, min, max, count, group
     * straight over a selector or a range function of one. Those are computed series by series over
     * all steps at once, each series' windows read while in cache, instead of visiting every series
     * at every step; the additions per group and step are in the same order, so the values are the
     * same bits.
     */
    private void planFolds(Expr e) {
      if (e instanceof Aggregate a) {
        Folded f = fold(a);
        if (f != null) {
          folded.put(a, f);
          return;
        }
        planFolds(a.expr());
        if (a.param() != null) {
          planFolds(a.param());
        }
      } else if (e instanceof Call c) {
        c.args().forEach(this::planFolds);
      } else if (e instanceof Binary b) {
        planFolds(b.lhs());
        planFolds(b.rhs());
      } else if (e instanceof Unary u) {
        planFolds(u.expr());
      } else if (e instanceof Paren p) {
        planFolds(p.expr());
      }
    }

    /** The most group × step cells a fold may hold; larger aggregations go step by step. */
    private static final long MAX_FOLD_CELLS = 4_000_000;

    /** An aggregation's groups and, per group and step, the count and accumulated value. */
    private record Folded(
        Aggregations.Fold fold, List<Labels> groups, int steps, long[] counts, double[] values) {
      List<Sample> column(int k) {
        List<Sample> out = new ArrayList<>(groups.size());
        for (int g = 0; g < groups.size(); g++) {
          long n = counts[g * steps + k];
          if (n > 0) {
            out.add(new Sample(groups.get(g), fold.result(n, values[g * steps + k])));
          }
        }
        return out;
      }
    }

    private Folded fold(Aggregate a) {
      Aggregations.Fold fold = a.param() == null ? Aggregations.Fold.of(a.op()) : null;
      if (fold == null) {
        return null;
      }
      Expr inner = a.expr();
      while (inner instanceof Paren p) {
        inner = p.expr();
      }
      Fetched f;
      RangeFunctions.Fn fn = null;
      long rangeMs = 0;
      long offset;
      if (inner instanceof VectorSelector vs) {
        f = fetched.get(vs);
        offset = vs.offsetMs();
      } else if (inner instanceof Call c
          && c.args().size() == 1
          && c.args().get(0) instanceof MatrixSelector ms) {
        fn = RangeFunctions.Fn.of(c.function());
        f = fetched.get(ms);
        rangeMs = ms.rangeMs();
        offset = ms.selector().offsetMs();
      } else {
        return null;
      }
      boolean keepName = fn == null || fn == RangeFunctions.Fn.LAST_OVER_TIME;
      UnaryOperator<Labels> groupOf = groupKey(a);
      List<SeriesWindows> series = f.series();
      int[] group = new int[series.size()];
      Map<Labels, Integer> index = new LinkedHashMap<>();
      for (int i = 0; i < group.length; i++) {
        SeriesWindows sw = series.get(i);
        Labels l = keepName ? sw.labels() : sw.unnamed();
        Labels key = groupOf.apply(l);
        Integer g = index.get(key);
        if (g == null) {
          g = index.size();
          index.put(key, g);
        }
        group[i] = g;
      }
      int steps = steps();
      if ((long) index.size() * steps > MAX_FOLD_CELLS) {
        return null;
      }
      long[] counts = new long[index.size() * steps];
      double[] values = new double[counts.length];
      for (int i = 0; i < group.length; i++) {
        Windows w = series.get(i).windows();
        int base = group[i] * steps;
        for (int k = 0; k < steps; k++) {
          long at = start + k * step - offset;
          double v =
              fn == null
                  ? selectorValue(f.resolution(), w, at)
                  : rangeValue(fn, f.resolution(), rangeMs, w, at);
          if (!RangeFunctions.isAbsent(v)) {
            int cell = base + k;
            values[cell] = fold.add(++counts[cell], values[cell], v);
          }
        }
      }
      return new Folded(fold, List.copyOf(index.keySet()), steps, counts, values);
    }

    private void prefetch(Expr e) {
      if (e instanceof VectorSelector vs) {
        long r = finest();
        long off = vs.offsetMs();
        fetched.put(
            vs,
            fetch(
                vs,
                r,
                Math.floorDiv(start - off - LOOKBACK_MS, r) * r,
                Math.floorDiv(end - off, r) * r - r,
                EnumSet.of(Windows.Field.LAST)));
      } else if (e instanceof Call call) {
        for (Expr arg : call.args()) {
          if (arg instanceof MatrixSelector ms) {
            long r = resolutionFor(call.function(), ms);
            long off = ms.selector().offsetMs();
            fetched.put(
                ms,
                fetch(
                    ms.selector(),
                    r,
                    Math.floorDiv(start - off, r) * r - ms.rangeMs(),
                    Math.floorDiv(end - off, r) * r - r,
                    RangeFunctions.Fn.of(call.function()).fields()));
          } else {
            prefetch(arg);
          }
        }
      } else if (e instanceof Aggregate a) {
        prefetch(a.expr());
        if (a.param() != null) {
          prefetch(a.param());
        }
      } else if (e instanceof Binary b) {
        prefetch(b.lhs());
        prefetch(b.rhs());
      } else if (e instanceof Unary u) {
        prefetch(u.expr());
      } else if (e instanceof Paren p) {
        prefetch(p.expr());
      } else if (e instanceof MatrixSelector) {
        refuseBareRange(e);
      }
    }

    private long finest() {
      List<Long> rs = storage.resolutions();
      if (rs.isEmpty()) {
        throw new EvaluationException("the store has no rollup resolutions");
      }
      return rs.get(0);
    }

    /**
     * The resolution a range is read at: of those dividing it, the coarsest that keeps every step
     * window-aligned, else the finest. {@code irate} always reads the finest.
     */
    private long resolutionFor(String function, MatrixSelector ms) {
      long range = ms.rangeMs();
      List<Long> dividing =
          storage.resolutions().stream().filter(r -> range % r == 0).sorted().toList();
      if (dividing.isEmpty()) {
        throw new PromQLException(
            -1,
            "range ["
                + Durations.format(range)
                + "] in "
                + function
                + "(...) is not a multiple of a stored rollup resolution ("
                + storage.resolutions().stream()
                    .map(Durations::format)
                    .collect(Collectors.joining(", "))
                + "): the store keeps rollup windows, not raw samples");
      }
      if (function.equals("irate")) {
        return dividing.get(0);
      }
      long first = start - ms.selector().offsetMs();
      for (int i = dividing.size() - 1; i > 0; i--) {
        long r = dividing.get(i);
        if (Math.floorMod(first, r) == 0 && (step == 0 || step % r == 0)) {
          return r;
        }
      }
      return dividing.get(0);
    }

    private Fetched fetch(
        VectorSelector vs,
        long resolution,
        long fromStart,
        long toStart,
        Set<Windows.Field> fields) {
      List<Storage.Series> selected = storage.select(vs.matchers());
      long possible =
          toStart < fromStart
              ? 0
              : (long) selected.size() * ((toStart - fromStart) / resolution + 1);
      windowsBudget -= possible;
      if (windowsBudget < 0) {
        throw new EvaluationException(
            "query processing would load too many samples into memory in query execution: its"
                + " selectors could read more than "
                + maxWindows
                + " rollup windows (the query limit); narrow the selectors or the time range");
      }
      Map<Long, Windows> windows =
          selected.isEmpty() || toStart < fromStart
              ? Map.of()
              : storage.windows(
                  selected.stream().map(Storage.Series::id).toList(),
                  resolution,
                  fromStart,
                  toStart,
                  fields);
      List<SeriesWindows> out = new ArrayList<>();
      for (Storage.Series s : selected) {
        Windows ws = windows.get(s.id());
        if (ws != null && ws.size() > 0) {
          out.add(new SeriesWindows(s.labels(), s.labels().withoutName(), ws));
        }
      }
      return new Fetched(resolution, out);
    }

    Object eval(Expr e, long t) {
      if (e instanceof NumberLiteral n) {
        return n.value();
      } else if (e instanceof StringLiteral s) {
        return s.value();
      } else if (e instanceof Paren p) {
        return eval(p.expr(), t);
      } else if (e instanceof VectorSelector vs) {
        return select(vs, t);
      } else if (e instanceof Unary u) {
        return unary(u, t);
      } else if (e instanceof Call c) {
        return call(c, t);
      } else if (e instanceof Aggregate a) {
        Folded f = folded.get(a);
        return f != null ? f.column(step == 0 ? 0 : (int) ((t - start) / step)) : aggregate(a, t);
      } else if (e instanceof Binary b) {
        return binary(b, t);
      }
      throw new IllegalStateException("a range outside a function: " + e);
    }

    private double scalar(Expr e, long t) {
      return (Double) eval(e, t);
    }

    private List<Sample> select(VectorSelector vs, long t) {
      Fetched f = fetched.get(vs);
      long at = t - vs.offsetMs();
      List<Sample> out = new ArrayList<>();
      for (SeriesWindows sw : f.series()) {
        double v = selectorValue(f.resolution(), sw.windows(), at);
        if (!RangeFunctions.isAbsent(v)) {
          out.add(new Sample(sw.labels(), v));
        }
      }
      return out;
    }

    /**
     * An instant selector's value of one series at {@code at} (offset applied): the last value of
     * the newest window that ended at or before it and within the lookback, else {@link
     * RangeFunctions#ABSENT}.
     */
    private static double selectorValue(long resolution, Windows w, long at) {
      int i = w.floor(at - resolution);
      return i >= 0 && w.start(i) + resolution > at - LOOKBACK_MS
          ? w.last(i)
          : RangeFunctions.ABSENT;
    }

    /**
     * A range function's value of one series at {@code at} (offset applied), else {@link
     * RangeFunctions#ABSENT}.
     */
    private static double rangeValue(
        RangeFunctions.Fn fn, long resolution, long rangeMs, Windows w, long at) {
      long last = Math.floorDiv(at, resolution) * resolution - resolution;
      long first = last + resolution - rangeMs;
      int a = w.ceiling(first);
      int b = w.floor(last);
      return a > b ? RangeFunctions.ABSENT : RangeFunctions.apply(fn, w, a, b, rangeMs, resolution);
    }

    private Object unary(Unary u, long t) {
      Object v = eval(u.expr(), t);
      if (u.op() == '+') {
        return v;
      }
      if (v instanceof Double d) {
        return -d;
      }
      return map(vector(v), x -> -x);
    }

    private List<Sample> map(List<Sample> in, java.util.function.DoubleUnaryOperator f) {
      List<Sample> out = new ArrayList<>(in.size());
      for (Sample s : in) {
        out.add(new Sample(s.labels().withoutName(), f.applyAsDouble(s.value())));
      }
      return out;
    }

    private Object call(Call c, long t) {
      List<Expr> args = c.args();
      return switch (c.function()) {
        case "time" -> t / 1000.0;
        case "vector" -> List.of(new Sample(Labels.EMPTY, scalar(args.get(0), t)));
        case "scalar" -> {
          List<Sample> v = vector(eval(args.get(0), t));
          yield v.size() == 1 ? v.get(0).value() : Double.NaN;
        }
        case "abs" -> map(vector(eval(args.get(0), t)), Math::abs);
        case "ceil" -> map(vector(eval(args.get(0), t)), Math::ceil);
        case "floor" -> map(vector(eval(args.get(0), t)), Math::floor);
        case "round" -> {
          double nearest = args.size() > 1 ? scalar(args.get(1), t) : 1;
          double inverse = 1.0 / nearest;
          yield map(vector(eval(args.get(0), t)), x -> Math.floor(x * inverse + 0.5) / inverse);
        }
        case "clamp_min" -> {
          double min = scalar(args.get(1), t);
          yield map(vector(eval(args.get(0), t)), x -> Math.max(x, min));
        }
        case "clamp_max" -> {
          double max = scalar(args.get(1), t);
          yield map(vector(eval(args.get(0), t)), x -> Math.min(x, max));
        }
        case "label_replace" -> labelReplace(c, t);
        case "histogram_quantile" ->
            histogramQuantile(scalar(args.get(0), t), vector(eval(args.get(1), t)));
        default -> rangeFunction(c.function(), (MatrixSelector) args.get(0), t);
      };
    }

    private List<Sample> rangeFunction(String name, MatrixSelector ms, long t) {
      RangeFunctions.Fn fn = RangeFunctions.Fn.of(name);
      boolean keepName = fn == RangeFunctions.Fn.LAST_OVER_TIME;
      Fetched f = fetched.get(ms);
      long at = t - ms.selector().offsetMs();
      List<Sample> out = new ArrayList<>();
      for (SeriesWindows sw : f.series()) {
        double v = rangeValue(fn, f.resolution(), ms.rangeMs(), sw.windows(), at);
        if (!RangeFunctions.isAbsent(v)) {
          Labels labels = keepName ? sw.labels() : sw.unnamed();
          out.add(new Sample(labels, v));
        }
      }
      return out;
    }

    private List<Sample> labelReplace(Call c, long t) {
      List<Sample> in = vector(eval(c.args().get(0), t));
      // Strings may come in parentheses: evaluated, not cast from the literal.
      String dst = (String) eval(c.args().get(1), t);
      String replacement = (String) eval(c.args().get(2), t);
      String src = (String) eval(c.args().get(3), t);
      String regex = (String) eval(c.args().get(4), t);
      Pattern p =
          regexes.computeIfAbsent(
              regex,
              x -> {
                try {
                  return Pattern.compile("^(?:" + x + ")$", Pattern.DOTALL);
                } catch (PatternSyntaxException e) {
                  throw new EvaluationException(
                      "invalid regular expression in label_replace(): " + x);
                }
              });
      if (!dst.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
        throw new EvaluationException("invalid destination label name in label_replace(): " + dst);
      }
      List<Sample> out = new ArrayList<>(in.size());
      for (Sample s : in) {
        String value = s.labels().get(src);
        java.util.regex.Matcher m = p.matcher(value == null ? "" : value);
        if (!m.matches()) {
          out.add(s);
          continue;
        }
        out.add(new Sample(s.labels().with(dst, GoRegex.expand(m, replacement)), s.value()));
      }
      return out;
    }

    /**
     * A member's group under {@code a}: {@code by} keeps the listed labels; {@code without} drops
     * them and the metric name. Made once per aggregation, used for every member.
     */
    private static UnaryOperator<Labels> groupKey(Aggregate a) {
      if (!a.without()) {
        List<String> keep = a.grouping();
        return l -> l.keep(keep);
      }
      Set<String> drop = new HashSet<>(a.grouping());
      drop.add(Labels.NAME);
      return l -> l.without(drop);
    }

    private Object aggregate(Aggregate a, long t) {
      List<Sample> in = vector(eval(a.expr(), t));
      double param = a.param() == null ? Double.NaN : scalar(a.param(), t);
      UnaryOperator<Labels> groupOf = groupKey(a);
      Map<Labels, Labels> keys = groupKeys.computeIfAbsent(a, x -> new IdentityHashMap<>());
      Aggregations.Fold fold = a.param() == null ? Aggregations.Fold.of(a.op()) : null;
      if (fold != null) {
        // A count and an accumulated value per group instead of a list of its members.
        Map<Labels, double[]> groups = new LinkedHashMap<>();
        for (Sample s : in) {
          Labels key = keys.computeIfAbsent(s.labels(), groupOf);
          double[] g = groups.computeIfAbsent(key, k -> new double[2]);
          g[0]++;
          g[1] = fold.add((long) g[0], g[1], s.value());
        }
        List<Sample> out = new ArrayList<>(groups.size());
        groups.forEach((key, g) -> out.add(new Sample(key, fold.result((long) g[0], g[1]))));
        return out;
      }
      Map<Labels, List<Sample>> groups = new LinkedHashMap<>();
      for (Sample s : in) {
        Labels key = keys.computeIfAbsent(s.labels(), groupOf);
        groups.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
      }
      List<Sample> out = new ArrayList<>();
      for (Map.Entry<Labels, List<Sample>> g : groups.entrySet()) {
        List<Sample> members = g.getValue();
        switch (a.op()) {
          case "topk", "bottomk" -> out.addAll(Aggregations.topk(a.op(), param, members));
          default -> out.add(new Sample(g.getKey(), Aggregations.apply(a.op(), param, members)));
        }
      }
      return out;
    }

    private Object binary(Binary b, long t) {
      Object l = eval(b.lhs(), t);
      Object r = eval(b.rhs(), t);
      String op = b.op();
      if (l instanceof Double x && r instanceof Double y) {
        if (Operators.isComparison(op)) {
          return BinaryOps.compare(op, x, y) ? 1.0 : 0.0;
        }
        return BinaryOps.arithmetic(op, x, y);
      }
      if (l instanceof Double x) {
        return BinaryOps.vectorScalar(op, vector(r), x, true, b.returnBool());
      }
      if (r instanceof Double y) {
        return BinaryOps.vectorScalar(op, vector(l), y, false, b.returnBool());
      }
      if (b.isSet()) {
        return BinaryOps.set(op, vector(l), vector(r), b.matching());
      }
      return BinaryOps.vectorVector(op, vector(l), vector(r), b.matching(), b.returnBool());
    }
  }

  private static List<Sample> histogramQuantile(double q, List<Sample> buckets) {
    Map<Labels, TreeMap<Double, Double>> groups = new LinkedHashMap<>();
    Set<String> drop = Set.of(Labels.NAME, "le");
    for (Sample s : buckets) {
      String le = s.labels().get("le");
      if (le == null) {
        continue;
      }
      double bound;
      try {
        bound = parseBound(le);
      } catch (NumberFormatException e) {
        continue;
      }
      groups
          .computeIfAbsent(s.labels().without(drop), k -> new TreeMap<>())
          .merge(bound, s.value(), Double::sum);
    }
    List<Sample> out = new ArrayList<>();
    groups.forEach((labels, b) -> out.add(new Sample(labels, Aggregations.bucketQuantile(q, b))));
    return out;
  }

  private static double parseBound(String le) {
    return switch (le.strip()) {
      case "+Inf", "Inf", "+inf", "inf" -> Double.POSITIVE_INFINITY;
      case "-Inf", "-inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(le);
    };
  }

  /** Matching of vectors: the signature one side's element is paired by. */
  static Labels signature(Labels labels, VectorMatching matching) {
    if (matching.on()) {
      return labels.keep(matching.labels());
    }
    Set<String> drop = new HashSet<>(matching.labels());
    drop.add(Labels.NAME);
    return labels.without(drop);
  }

  static boolean isOneToMany(VectorMatching m) {
    return m.card() == Cardinality.ONE_TO_MANY;
  }
}
