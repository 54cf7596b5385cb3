package dev.metricspipeline.sink.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metricspipeline.formats.PromDurations;
import dev.metricspipeline.formats.SeriesSelector;
import dev.metricspipeline.http.OpsRoutes;
import dev.metricspipeline.http.StageVertx;
import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.http.WebServers;
import dev.metricspipeline.promql.EvaluationException;
import dev.metricspipeline.promql.Evaluator;
import dev.metricspipeline.promql.Expr;
import dev.metricspipeline.promql.Parser;
import dev.metricspipeline.promql.PromQLException;
import dev.metricspipeline.sink.MetricMetadata;
import dev.metricspipeline.sink.RollupStore;
import dev.metricspipeline.sink.StoreException;
import dev.metricspipeline.sink.StoredSeries;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query API, in Prometheus's HTTP API shape so that Grafana's Prometheus data source works:
 * {@code /api/v1/query}, {@code /api/v1/query_range}, {@code /api/v1/series}, {@code
 * /api/v1/labels}, {@code /api/v1/label/<name>/values} (GET, or POST with a form body), plus {@code
 * /metrics}, {@code /-/healthy} and {@code /-/ready}.
 *
 * <p><b>Evaluation.</b> Queries are parsed by {@code promql}'s {@link Parser} and evaluated by its
 * {@link Evaluator} over the stored rollups ({@link RollupStorage}); how each function maps to
 * rollup fields and where results differ from PromQL over raw samples is in {@code
 * docs/ARCHITECTURE.md} ("Query"). Syntax errors and constructs not supported are {@code 400
 * bad_data}; failures that depend on the data (duplicate series in a match group) {@code 422
 * execution}; a store that cannot be read {@code 503 unavailable}. {@code /api/v1/series} and the
 * label endpoints list the series with a stored window (at any resolution) overlapping {@code
 * [start, end]}; without either parameter, every stored series.
 */
public final class QueryServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
  private static final int MAX_POINTS = 11_000;

  /** The Prometheus release whose HTTP API and PromQL this API is checked against. */
  static final String PROMETHEUS_API_VERSION = "2.42.0";

  private final StageVertx vertx;
  private final HttpServer server;
  private final String url;

  private QueryServer(StageVertx vertx, HttpServer server, String url) {
    this.vertx = vertx;
    this.server = server;
    this.url = url;
  }

  /**
   * Starts serving.
   *
   * @param resolutions the rollup resolutions: window size in ms to name ({@code 60000 → 1m})
   * @param shared the process's shared Vert.x, left open on close; null for one of its own
   * @param maxWindows the most rollup windows one query may read
   */
  public static QueryServer start(
      WebConfig web,
      String host,
      int port,
      RollupStore store,
      Map<Long, String> resolutions,
      PrometheusMeterRegistry meters,
      BooleanSupplier ready,
      Vertx shared,
      long maxWindows) {
    StageVertx stage = StageVertx.of(shared);
    Vertx vertx = stage.get();
    Handlers handlers = new Handlers(store, Map.copyOf(resolutions), meters, maxWindows);
    Router router = Router.router(vertx);
    OpsRoutes.of(meters::scrape, OpsRoutes.Readiness.of(ready), "Ready").mountFirst(router);
    router.route("/api/v1/*").handler(BodyHandler.create().setBodyLimit(1 << 20));
    // What the router itself refuses (a form body over 1 MiB: 413) is answered in the API's error
    // shape instead of Vert.x's plain text and an "Unhandled exception in router" error line.
    router
        .route("/api/v1/*")
        .failureHandler(
            ctx -> {
              int status = ctx.statusCode() < 400 ? 500 : ctx.statusCode();
              if (status == 500) {
                LOG.error("Query API request {} failed", ctx.request().uri(), ctx.failure());
              }
              ctx.response().putHeader("Content-Type", "application/json");
              Handlers.error(
                  ctx.response(),
                  status,
                  status == 413 ? "bad_data" : "internal",
                  status == 413
                      ? "the request body is larger than 1048576 bytes"
                      : String.valueOf(ctx.failure()));
            });
    for (String path : List.of("/api/v1/query", "/api/v1/query_range")) {
      router.route(path).blockingHandler(handlers::query, false);
    }
    router.route("/api/v1/series").blockingHandler(handlers::series, false);
    router.route("/api/v1/status/buildinfo").handler(Handlers::buildInfo);
    router.route("/api/v1/metadata").blockingHandler(handlers::metadata, false);
    router.route("/api/v1/labels").blockingHandler(handlers::labels, false);
    router.route("/api/v1/label/:name/values").blockingHandler(handlers::labelValues, false);

    try {
      HttpServer server =
          WebServers.listen(vertx, web, host, port, router).await(30, TimeUnit.SECONDS);
      stage.onClose(server::close);
      String url = WebServers.url(web, host, server.actualPort());
      return new QueryServer(stage, server, url);
    } catch (Exception e) {
      stage.close();
      throw new IllegalStateException(
          "query API cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  public String url() {
    return url;
  }

  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    vertx.close();
  }

  /** A bad request: Prometheus's {@code bad_data}. */
  static final class BadData extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadData(String message) {
      super(message);
    }
  }

  private static final class Handlers {
    private final RollupStore store;
    private final Evaluator evaluator;
    private final Map<String, Long> sizesByName = new HashMap<>();
    private final Timer latency;

    Handlers(
        RollupStore store,
        Map<Long, String> resolutions,
        PrometheusMeterRegistry meters,
        long maxWindows) {
      this.store = store;
      this.evaluator = new Evaluator(new RollupStorage(store, resolutions), maxWindows);
      resolutions.forEach((ms, name) -> sizesByName.put(name, ms));
      this.latency =
          Timer.builder("sink.query")
              .description("Query API request latency")
              .publishPercentiles(0.5, 0.99)
              .register(meters);
    }

    void query(RoutingContext ctx) {
      respond(
          ctx,
          () -> {
            boolean range = ctx.request().path().endsWith("query_range");
            String text = ctx.request().getParam("query");
            if (text == null || text.isBlank()) {
              throw new BadData("invalid parameter \"query\": no expression found in input");
            }
            Expr expr;
            try {
              expr = Parser.parse(text);
            } catch (PromQLException e) {
              throw new BadData("invalid parameter \"query\": " + e.getMessage());
            }
            ObjectNode data = JSON.createObjectNode();
            if (!range) {
              long time = time(ctx, "time", System.currentTimeMillis());
              Evaluator.Result result = evaluator.instant(expr, time);
              switch (result.type()) {
                case SCALAR -> {
                  data.put("resultType", "scalar");
                  data.set("result", point(time, result.value()));
                }
                case STRING -> {
                  data.put("resultType", "string");
                  ArrayNode p = JSON.createArrayNode();
                  p.add(BigDecimal.valueOf(time, 3).stripTrailingZeros());
                  p.add(result.string());
                  data.set("result", p);
                }
                default -> {
                  data.put("resultType", "vector");
                  ArrayNode out = data.putArray("result");
                  for (Evaluator.Series s : result.series()) {
                    ObjectNode series = out.addObject();
                    ObjectNode metric = series.putObject("metric");
                    s.labels().toMap().forEach(metric::put);
                    Evaluator.Point p = s.points().get(0);
                    series.set("value", point(p.timeMs(), p.value()));
                  }
                }
              }
              return data;
            }
            long start = time(ctx, "start", null);
            long end = time(ctx, "end", null);
            long step = step(ctx);
            if (end < start) {
              throw new BadData("end timestamp must not be before start time");
            }
            if ((end - start) / step + 1 > MAX_POINTS) {
              throw new BadData(
                  "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing"
                      + " the query resolution (?step=XX)");
            }
            Evaluator.Result result = evaluator.range(expr, start, end, step);
            data.put("resultType", "matrix");
            ArrayNode out = data.putArray("result");
            for (Evaluator.Series s : result.series()) {
              ObjectNode series = out.addObject();
              ObjectNode metric = series.putObject("metric");
              s.labels().toMap().forEach(metric::put);
              ArrayNode values = series.putArray("values");
              s.points().forEach(p -> values.add(point(p.timeMs(), p.value())));
            }
            return data;
          });
    }

    /** The selected series; with a time range, only those with a window overlapping it. */
    private List<StoredSeries> select(SeriesSelector selector, long[] range) throws StoreException {
      List<StoredSeries> out = new ArrayList<>();
      for (StoredSeries s : stored(selector.metricName(), range)) {
        if (selector.matches(s.metric(), s.labels())) {
          out.add(s);
        }
      }
      return out;
    }

    private List<StoredSeries> matching(RoutingContext ctx, boolean required)
        throws StoreException {
      List<String> matches = ctx.request().params().getAll("match[]");
      long[] range = range(ctx);
      if (matches.isEmpty()) {
        if (required) {
          throw new BadData("no match[] parameter provided");
        }
        return stored(null, range);
      }
      Map<Long, StoredSeries> out = new LinkedHashMap<>();
      for (String match : matches) {
        SeriesSelector selector;
        try {
          selector = SeriesSelector.parse(match);
        } catch (IllegalArgumentException e) {
          throw new BadData(e.getMessage());
        }
        for (StoredSeries s : select(selector, range)) {
          out.put(s.id(), s);
        }
      }
      return new ArrayList<>(out.values());
    }

    private List<StoredSeries> stored(String metricName, long[] range) throws StoreException {
      if (range == null) {
        return store.series(metricName);
      }
      return store.series(metricName, sizesByName, range[0], range[1]);
    }

    /**
     * {@code [start, end]} in ms when either is given (the other open-ended, as in Prometheus),
     * null when neither is.
     */
    private static long[] range(RoutingContext ctx) {
      // Far from the long limits, so that start - resolution cannot overflow.
      long open = 1L << 60;
      long start = time(ctx, "start", -open);
      long end = time(ctx, "end", open);
      if (start == -open && end == open) {
        return null;
      }
      if (end < start) {
        throw new BadData("end timestamp must not be before start time");
      }
      return new long[] {Math.max(start, -open), Math.min(end, open)};
    }

    /**
     * Prometheus's build information, which Grafana reads to choose the API features it uses.
     * {@code version} is the Prometheus API level this API follows (the release the compatibility
     * table runs against), as VictoriaMetrics does; {@code application} says what answers.
     */
    static void buildInfo(RoutingContext ctx) {
      ObjectNode out = JSON.createObjectNode();
      out.put("status", "success");
      ObjectNode data = out.putObject("data");
      data.put("version", PROMETHEUS_API_VERSION);
      data.put("application", "metrics-pipeline");
      String own = QueryServer.class.getPackage().getImplementationVersion();
      data.put("revision", own == null ? "" : own);
      data.put("branch", "");
      data.put("buildUser", "");
      data.put("buildDate", "");
      data.put("goVersion", "");
      ctx.response().putHeader("Content-Type", "application/json").end(out.toString());
    }

    /**
     * Prometheus's {@code /api/v1/metadata}: the type of each stored metric family ({@code metric}
     * selects one, {@code limit} caps how many); help and unit are not kept, so they are empty.
     */
    void metadata(RoutingContext ctx) {
      respond(
          ctx,
          () -> {
            String family = ctx.request().getParam("metric");
            int limit = intParam(ctx, "limit");
            Map<String, List<MetricMetadata>> byFamily = new TreeMap<>();
            for (MetricMetadata m :
                store.metadata(family == null || family.isEmpty() ? null : family)) {
              byFamily.computeIfAbsent(m.family(), k -> new ArrayList<>()).add(m);
            }
            ObjectNode data = JSON.createObjectNode();
            for (Map.Entry<String, List<MetricMetadata>> e : byFamily.entrySet()) {
              if (limit > 0 && data.size() >= limit) {
                break;
              }
              ArrayNode entries = data.putArray(e.getKey());
              for (MetricMetadata m : e.getValue()) {
                entries.addObject().put("type", m.type()).put("help", "").put("unit", "");
              }
            }
            return data;
          });
    }

    /** A non-negative integer parameter, 0 when absent. */
    private static int intParam(RoutingContext ctx, String name) {
      String v = ctx.request().getParam(name);
      if (v == null || v.isEmpty()) {
        return 0;
      }
      try {
        return Math.max(0, Integer.parseInt(v.strip()));
      } catch (NumberFormatException e) {
        throw new BadData("invalid parameter \"" + name + "\": " + v + " is not an integer");
      }
    }

    void series(RoutingContext ctx) {
      respond(
          ctx,
          () -> {
            ArrayNode data = JSON.createArrayNode();
            List<Map<String, String>> all = new ArrayList<>();
            for (StoredSeries s : matching(ctx, true)) {
              Map<String, String> labels = new TreeMap<>(s.labels());
              labels.put("__name__", s.metric());
              all.add(labels);
            }
            all.sort(Comparator.comparing(Map::toString));
            for (Map<String, String> labels : all) {
              ObjectNode o = data.addObject();
              labels.forEach(o::put);
            }
            return data;
          });
    }

    void labels(RoutingContext ctx) {
      respond(
          ctx,
          () -> {
            TreeSet<String> names = new TreeSet<>();
            for (StoredSeries s : matching(ctx, false)) {
              names.add("__name__");
              names.addAll(s.labels().keySet());
            }
            ArrayNode data = JSON.createArrayNode();
            names.forEach(data::add);
            return data;
          });
    }

    void labelValues(RoutingContext ctx) {
      respond(
          ctx,
          () -> {
            String name = ctx.pathParam("name");
            TreeSet<String> values = new TreeSet<>();
            for (StoredSeries s : matching(ctx, false)) {
              String v = "__name__".equals(name) ? s.metric() : s.labels().get(name);
              if (v != null && !v.isEmpty()) {
                values.add(v);
              }
            }
            ArrayNode data = JSON.createArrayNode();
            values.forEach(data::add);
            return data;
          });
    }

    private void respond(RoutingContext ctx, Callable<Object> body) {
      long started = System.nanoTime();
      HttpServerResponse response = ctx.response().putHeader("Content-Type", "application/json");
      try {
        ObjectNode out = JSON.createObjectNode();
        out.put("status", "success");
        out.set("data", JSON.valueToTree(body.call()));
        response.end(JSON.writeValueAsString(out));
      } catch (BadData | IllegalArgumentException e) {
        error(response, 400, "bad_data", e.getMessage());
      } catch (PromQLException e) {
        error(response, 400, "bad_data", e.getMessage());
      } catch (EvaluationException e) {
        error(response, 422, "execution", e.getMessage());
      } catch (RollupStorage.StoreUnavailable e) {
        LOG.warn("Query failed: {}", e.getMessage());
        error(response, 503, "unavailable", e.getMessage());
      } catch (StoreException e) {
        LOG.warn("Query failed: {}", e.getMessage());
        error(response, 503, "unavailable", e.getMessage());
      } catch (Exception e) {
        LOG.error("Query failed", e);
        error(response, 500, "internal", String.valueOf(e.getMessage()));
      } finally {
        latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      }
    }

    private static void error(HttpServerResponse response, int status, String type, String msg) {
      ObjectNode out = JSON.createObjectNode();
      out.put("status", "error");
      out.put("errorType", type);
      out.put("error", msg);
      response.setStatusCode(status).end(out.toString());
    }

    private static long time(RoutingContext ctx, String name, Long fallback) {
      String v = ctx.request().getParam(name);
      if (v == null || v.isEmpty()) {
        if (fallback == null) {
          throw new BadData("missing parameter " + name);
        }
        return fallback;
      }
      try {
        return PromDurations.parseTime(v);
      } catch (IllegalArgumentException e) {
        throw new BadData("invalid parameter \"" + name + "\": " + e.getMessage());
      }
    }

    private static long step(RoutingContext ctx) {
      String v = ctx.request().getParam("step");
      if (v == null || v.isEmpty()) {
        throw new BadData("missing parameter step");
      }
      long step;
      try {
        step = PromDurations.parseStep(v);
      } catch (IllegalArgumentException e) {
        throw new BadData("invalid parameter \"step\": " + e.getMessage());
      }
      if (step <= 0) {
        throw new BadData(
            "zero or negative query resolution step widths are not accepted. Try a positive"
                + " integer");
      }
      return step;
    }
  }

  /** {@code [1764000060, "12.5"]}: seconds as a plain number, the value as Prometheus writes it. */
  static ArrayNode point(long ms, double v) {
    ArrayNode p = JSON.createArrayNode();
    p.add(BigDecimal.valueOf(ms, 3).stripTrailingZeros());
    p.add(format(v));
    return p;
  }

  /** A float as Prometheus writes it: {@code 12.5}, {@code 1}, {@code +Inf}, {@code NaN}. */
  static String format(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }
}
