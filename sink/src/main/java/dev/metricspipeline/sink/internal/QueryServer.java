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
import dev.metricspipeline.sink.RollupStore;
import dev.metricspipeline.sink.StoreException;
import dev.metricspipeline.sink.StoredRollup;
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
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query API, in Prometheus's HTTP API shape so that Grafana's Prometheus data source works:
 * {@code /api/v1/query}, {@code /api/v1/query_range}, {@code /api/v1/series}, {@code
 * /api/v1/labels}, {@code /api/v1/label/<name>/values} (GET, or POST with a form body), plus {@code
 * /metrics}, {@code /-/healthy} and {@code /-/ready}.
 *
 * <p><b>Evaluation.</b> At time {@code t}, {@code fn(x[r])} reads the window of resolution {@code
 * r} that ends at or before {@code t}: the one starting at {@code floor(t / r) * r - r}. So a range
 * query with {@code step = r} returns one point per closed window, stamped with its end. {@code
 * increase} is the exact reset-aware increase of the window (including the step from the previous
 * window's last sample), not Prometheus's extrapolation; {@code rate} is it divided by {@code r}.
 * {@code /api/v1/series} and the label endpoints list the series with a stored window (at any
 * resolution) overlapping {@code [start, end]}; without either parameter, every stored series.
 */
public final class QueryServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
  private static final int MAX_POINTS = 11_000;

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
   */
  public static QueryServer start(
      WebConfig web,
      String host,
      int port,
      RollupStore store,
      Map<Long, String> resolutions,
      PrometheusMeterRegistry meters,
      BooleanSupplier ready,
      Vertx shared) {
    StageVertx stage = StageVertx.of(shared);
    Vertx vertx = stage.get();
    Handlers handlers = new Handlers(store, Map.copyOf(resolutions), meters);
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
    private final Map<Long, String> resolutions;
    private final Map<String, Long> sizesByName = new HashMap<>();
    private final String resolutionList;
    private final Timer latency;

    Handlers(RollupStore store, Map<Long, String> resolutions, PrometheusMeterRegistry meters) {
      this.store = store;
      this.resolutions = resolutions;
      resolutions.forEach((ms, name) -> sizesByName.put(name, ms));
      this.resolutionList =
          resolutions.entrySet().stream()
              .sorted(Map.Entry.comparingByKey())
              .map(Map.Entry::getValue)
              .collect(Collectors.joining(", "));
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
            PromQuery q = PromQuery.parse(ctx.request().getParam("query"), resolutionList);
            long start;
            long end;
            long step;
            if (range) {
              start = time(ctx, "start", null);
              end = time(ctx, "end", null);
              step = step(ctx);
              if (end < start) {
                throw new BadData("end timestamp must not be before start time");
              }
              if ((end - start) / step + 1 > MAX_POINTS) {
                throw new BadData(
                    "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing"
                        + " the query resolution (?step=XX)");
              }
            } else {
              start = time(ctx, "time", System.currentTimeMillis());
              end = start;
              step = 1;
            }
            ObjectNode data = JSON.createObjectNode();
            if (q.isScalar()) {
              if (range) {
                data.put("resultType", "matrix");
                ArrayNode values = JSON.createArrayNode();
                for (long t = start; t <= end; t += step) {
                  values.add(point(t, q.scalar()));
                }
                ObjectNode series = data.putArray("result").addObject();
                series.putObject("metric");
                series.set("values", values);
              } else {
                data.put("resultType", "scalar");
                data.set("result", point(start, q.scalar()));
              }
              return data;
            }
            List<Map.Entry<Map<String, String>, List<double[]>>> result =
                evaluate(q, start, end, step);
            data.put("resultType", range ? "matrix" : "vector");
            ArrayNode out = data.putArray("result");
            for (Map.Entry<Map<String, String>, List<double[]>> e : result) {
              ObjectNode series = out.addObject();
              ObjectNode metric = series.putObject("metric");
              e.getKey().forEach(metric::put);
              if (range) {
                ArrayNode values = series.putArray("values");
                e.getValue().forEach(p -> values.add(point((long) p[0], p[1])));
              } else {
                double[] p = e.getValue().get(0);
                series.set("value", point((long) p[0], p[1]));
              }
            }
            return data;
          });
    }

    private List<Map.Entry<Map<String, String>, List<double[]>>> evaluate(
        PromQuery q, long start, long end, long step) throws StoreException {
      String resolution = resolutions.get(q.rangeMs());
      if (resolution == null) {
        throw new BadData(
            "range "
                + PromDurations.format(q.rangeMs())
                + " is not a rollup resolution; "
                + PromQuery.supported(resolutionList));
      }
      long r = q.rangeMs();
      List<StoredSeries> series = select(q.selector());
      Map<Long, StoredSeries> byId = new LinkedHashMap<>();
      series.forEach(s -> byId.put(s.id(), s));
      Map<Long, Map<Long, StoredRollup>> windows = new HashMap<>();
      if (!byId.isEmpty()) {
        for (StoredRollup rollup :
            store.rollups(byId.keySet(), resolution, windowFor(start, r), windowFor(end, r))) {
          windows
              .computeIfAbsent(rollup.seriesId(), k -> new HashMap<>())
              .put(rollup.windowStart(), rollup);
        }
      }
      List<Map.Entry<Map<String, String>, List<double[]>>> out = new ArrayList<>();
      for (StoredSeries s : byId.values()) {
        Map<Long, StoredRollup> own = windows.getOrDefault(s.id(), Map.of());
        List<double[]> points = new ArrayList<>();
        for (long t = start; t <= end; t += step) {
          StoredRollup rollup = own.get(windowFor(t, r));
          Double v = rollup == null ? null : q.function().apply(rollup, r);
          if (v != null) {
            points.add(new double[] {t, v});
          }
        }
        if (!points.isEmpty()) {
          Map<String, String> metric = new TreeMap<>(s.labels());
          if (q.function().keepsName()) {
            metric.put("__name__", s.metric());
          }
          out.add(Map.entry(metric, points));
        }
      }
      out.sort(Comparator.comparing(e -> e.getKey().toString()));
      return out;
    }

    private static long windowFor(long t, long r) {
      return Math.floorDiv(t, r) * r - r;
    }

    private List<StoredSeries> select(SeriesSelector selector) throws StoreException {
      return select(selector, null);
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
