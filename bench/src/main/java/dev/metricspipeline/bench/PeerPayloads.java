package dev.metricspipeline.bench;

import dev.metricspipeline.formats.proto.remote.Remote.Label;
import dev.metricspipeline.formats.proto.remote.Remote.Sample;
import dev.metricspipeline.formats.proto.remote.Remote.TimeSeries;
import dev.metricspipeline.formats.proto.remote.Remote.WriteRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.xerial.snappy.Snappy;

/**
 * Writes the request bodies the side-by-side scripts in {@code bench/peers/} send to a peer and to
 * us alike, so both get the same bytes:
 *
 * <ul>
 *   <li>{@code pushgateway.txt}: 1,000 samples in the text format (100 metrics × 10 label values);
 *   <li>{@code rw-steady.bin}: one snappy {@code WriteRequest} of 1,000 series, one sample each;
 *   <li>{@code rw-new-NNN.bin}: {@code N} such requests whose series all differ, for the
 *       new-series-heavy run;
 *   <li>{@code otlp-steady.bin}: the same 1,000 series as one OTLP {@code
 *       ExportMetricsServiceRequest} (protobuf): 10 gauges of 100 data points, the instance an
 *       attribute, job from {@code service.name}.
 * </ul>
 *
 * <p>Usage: {@code PeerPayloads DIR [N]} (N defaults to 300). Sample times are now, so every
 * receiver takes them as current for the few minutes a run lasts.
 */
public final class PeerPayloads {

  private PeerPayloads() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: PeerPayloads DIR [NEW_SERIES_BODIES]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    int bodies = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    Files.createDirectories(dir);
    long now = System.currentTimeMillis();

    StringBuilder text = new StringBuilder();
    for (int m = 0; m < 100; m++) {
      text.append("# TYPE bench_metric_").append(m).append(" gauge\n");
      for (int v = 0; v < 10; v++) {
        text.append("bench_metric_")
            .append(m)
            .append("{shard=\"")
            .append(v)
            .append("\"} ")
            .append(m * 10 + v)
            .append('\n');
      }
    }
    Files.writeString(dir.resolve("pushgateway.txt"), text, StandardCharsets.UTF_8);

    Files.write(dir.resolve("rw-steady.bin"), writeRequest("steady", now));
    Files.write(dir.resolve("otlp-steady.bin"), otlpRequest(now));
    for (int b = 0; b < bodies; b++) {
      Files.write(dir.resolve(String.format("rw-new-%03d.bin", b)), writeRequest("new" + b, now));
    }
    System.out.printf(
        "wrote 1 Pushgateway body, 1 steady and %d new-series remote_write bodies, 1 OTLP body to"
            + " %s%n",
        bodies, dir);
  }

  /** 1,000 series of one sample each: 10 metrics × 100 instances, plus a batch label. */
  static byte[] writeRequest(String batch, long now) throws IOException {
    WriteRequest.Builder request = WriteRequest.newBuilder();
    for (int m = 0; m < 10; m++) {
      for (int i = 0; i < 100; i++) {
        request.addTimeseries(
            TimeSeries.newBuilder()
                .addLabels(label("__name__", "bench_rw_metric_" + m))
                .addLabels(label("batch", batch))
                .addLabels(label("instance", "host-" + i + ":9100"))
                .addLabels(label("job", "bench"))
                .addSamples(Sample.newBuilder().setTimestamp(now).setValue(m * 100 + i)));
      }
    }
    return Snappy.compress(request.build().toByteArray());
  }

  /** The remote_write body's 1,000 series as OTLP gauges. */
  private static byte[] otlpRequest(long now) {
    ScopeMetrics.Builder scope = ScopeMetrics.newBuilder();
    for (int m = 0; m < 10; m++) {
      Gauge.Builder gauge = Gauge.newBuilder();
      for (int i = 0; i < 100; i++) {
        gauge.addDataPoints(
            NumberDataPoint.newBuilder()
                .setTimeUnixNano(now * 1_000_000L)
                .setAsDouble(m * 100 + i)
                .addAttributes(attribute("batch", "steady"))
                .addAttributes(attribute("instance", "host-" + i + ":9100")));
      }
      scope.addMetrics(Metric.newBuilder().setName("bench.otlp.metric." + m).setGauge(gauge));
    }
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .setResource(
                    Resource.newBuilder().addAttributes(attribute("service.name", "bench")))
                .addScopeMetrics(scope))
        .build()
        .toByteArray();
  }

  private static KeyValue attribute(String key, String value) {
    return KeyValue.newBuilder()
        .setKey(key)
        .setValue(AnyValue.newBuilder().setStringValue(value))
        .build();
  }

  private static Label label(String name, String value) {
    return Label.newBuilder().setName(name).setValue(value).build();
  }
}
