package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.schemas.SeriesKey;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenTelemetry's Java SDK and its OTLP exporters (HTTP and gRPC) pushing counters, gauges and
 * histograms into {@code run}; the 1m rollups in the store match what the SDK recorded. The SDK's
 * clock is set three minutes back (as a sender catching up would be), so the window is closed on
 * arrival instead of a minute later.
 */
class OtlpPipelineIT {

  private static final long MINUTE = 60_000;

  @TempDir Path dir;

  @Test
  void sdkMetricsOverHttpAndGrpcAreRolledUpAsRecorded() throws Exception {
    long window = (System.currentTimeMillis() / MINUTE - 3) * MINUTE;
    AtomicLong nowMs = new AtomicLong(window + 10_000);
    Clock clock =
        new Clock() {
          @Override
          public long now() {
            return TimeUnit.MILLISECONDS.toNanos(nowMs.get());
          }

          @Override
          public long nanoTime() {
            return System.nanoTime();
          }
        };
    try (RunCommand.Running running = TestPipelines.start(dir.resolve("data"))) {
      MetricExporter http =
          OtlpHttpMetricExporter.builder().setEndpoint(running.pushUrl() + "/v1/metrics").build();
      MetricExporter grpc =
          OtlpGrpcMetricExporter.builder()
              .setEndpoint("http://127.0.0.1:" + running.otlpGrpcPort())
              .build();
      try (SdkMeterProvider overHttp = provider("checkout", clock, http);
          SdkMeterProvider overGrpc = provider("inventory", clock, grpc)) {
        for (SdkMeterProvider provider : List.of(overHttp, overGrpc)) {
          Meter meter = provider.get("it");
          LongCounter orders = meter.counterBuilder("orders").build();
          DoubleHistogram latency =
              meter
                  .histogramBuilder("latency")
                  .setUnit("s")
                  .setExplicitBucketBoundariesAdvice(List.of(0.1, 1.0))
                  .build();
          var temperature = meter.gaugeBuilder("temperature").build();
          nowMs.set(window + 10_000);
          orders.add(5, Attributes.of(AttributeKey.stringKey("region"), "eu"));
          latency.record(0.05);
          latency.record(0.5);
          temperature.set(20);
          assertThat(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
          nowMs.set(window + 40_000);
          orders.add(7, Attributes.of(AttributeKey.stringKey("region"), "eu"));
          latency.record(3);
          temperature.set(18);
          assertThat(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
        }
      }

      for (String job : List.of("shop/checkout", "shop/inventory")) {
        Map<String, String> expected = new TreeMap<>();
        expected.put(key("orders_total", job, "region", "eu"), "count=2 last=12 max=12 increase=7");
        expected.put(key("temperature", job), "count=2 last=18 max=20 increase=null");
        expected.put(key("latency_seconds_count", job), "count=2 last=3 max=3 increase=1");
        expected.put(key("latency_seconds_sum", job), "count=2 last=3.55 max=3.55 increase=3");
        expected.put(
            key("latency_seconds_bucket", job, "le", "0.1"), "count=2 last=1 max=1 increase=0");
        expected.put(
            key("latency_seconds_bucket", job, "le", "1"), "count=2 last=2 max=2 increase=0");
        expected.put(
            key("latency_seconds_bucket", job, "le", "+Inf"), "count=2 last=3 max=3 increase=1");
        await()
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofSeconds(2))
            .ignoreExceptions()
            .untilAsserted(() -> assertThat(stored(window, job)).isEqualTo(expected));
      }
    }
  }

  private static SdkMeterProvider provider(String service, Clock clock, MetricExporter exporter) {
    return SdkMeterProvider.builder()
        .setClock(clock)
        .setResource(
            Resource.create(
                Attributes.builder()
                    .put("service.name", service)
                    .put("service.namespace", "shop")
                    .put("service.instance.id", "i-1")
                    .build()))
        .registerMetricReader(
            PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
        .build();
  }

  /**
   * The 1m rollups in the window of one job's series of the test's scope (not the SDK's own
   * self-metrics, which it exports too), without otel_scope_version.
   */
  private Map<String, String> stored(long window, String job) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:sqlite:" + dir.resolve("data").resolve("metrics.db"));
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT s.series_key, r.count, r.last, r.max, r.increase FROM rollups r JOIN"
                    + " metric_series s ON s.id = r.series_id WHERE r.resolution = '1m' AND"
                    + " r.window_start = ? AND s.series_key LIKE ? AND s.series_key LIKE ?")) {
      ps.setLong(1, window);
      ps.setString(2, "%job=\"" + job + "\"%");
      ps.setString(3, "%otel_scope_name=\"it\"%");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          double increase = rs.getDouble(5);
          String increaseText = rs.wasNull() ? "null" : number(increase);
          out.put(
              rs.getString(1).replaceAll(",otel_scope_version=\"[^\"]*\"", ""),
              "count="
                  + rs.getLong(2)
                  + " last="
                  + number(rs.getDouble(3))
                  + " max="
                  + number(rs.getDouble(4))
                  + " increase="
                  + increaseText);
        }
      }
    }
    return out;
  }

  /** The series id: name and sorted labels, with the resource's job and instance. */
  private static String key(String name, String job, String... more) {
    Map<String, String> labels = new TreeMap<>();
    labels.put("instance", "i-1");
    labels.put("job", job);
    labels.put("otel_scope_name", "it");
    for (int i = 0; i < more.length; i += 2) {
      labels.put(more[i], more[i + 1]);
    }
    return SeriesKey.standard().idOf(name, labels);
  }

  /** Nine significant digits: the sums' last bits depend on the order of additions. */
  private static String number(double v) {
    return new BigDecimal(v).round(new MathContext(9)).stripTrailingZeros().toPlainString();
  }
}
