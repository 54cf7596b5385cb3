package dev.metricspipeline.push.internal;

import dev.metricspipeline.formats.OtlpDeltas;
import dev.metricspipeline.formats.OtlpParser;
import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.push.OtlpConfig;
import dev.metricspipeline.schemas.avro.Origin;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OTLP metrics receiver without a transport: one {@code ExportMetricsServiceRequest} (protobuf
 * or JSON) converted by {@link OtlpParser} and published all together, answered with OTLP's
 * response. Points the conversion refused (exponential histograms, delta non-monotonic sums,
 * misordered delta points) are left out, counted in {@code push_otlp_rejected_points_total} and
 * reported as a partial success; the rest is published. When publishing fails, the request's
 * delta-state updates are undone, so the sender's retry is added once.
 */
public final class OtlpService {

  private static final Logger LOG = LoggerFactory.getLogger(OtlpService.class);

  private final OtlpParser parser;
  private final BodyWriteService bodies;
  private final Clock clock;
  private final Counter rejectedPoints;

  public OtlpService(
      OtlpConfig config, BodyWriteService bodies, Clock clock, MeterRegistry meters) {
    OtlpDeltas deltas = new OtlpDeltas(config.maxDeltaStreams());
    this.parser = new OtlpParser(config.parserOptions(), deltas);
    this.bodies = bodies;
    this.clock = clock;
    this.rejectedPoints =
        Counter.builder("push_otlp_rejected_points")
            .description("OTLP data points refused and reported as a partial success")
            .register(meters);
    Gauge.builder("push_otlp_delta_streams", deltas, OtlpDeltas::size)
        .description("Delta-temporality streams whose cumulative value the gateway keeps")
        .register(meters);
    Gauge.builder("push_otlp_delta_streams_evicted", deltas, OtlpDeltas::evicted)
        .description("Delta streams dropped as least recently used (they start over)")
        .register(meters);
  }

  /**
   * Converts and publishes one request.
   *
   * @param json whether the body is OTLP JSON rather than protobuf
   * @param endpoint where it came from, for the samples' source
   * @throws PushRejected 400 for a body that is not an OTLP request
   */
  public CompletableFuture<ExportMetricsServiceResponse> export(
      byte[] body, boolean json, String endpoint) {
    long now = clock.millis();
    OtlpParser.Result result;
    try {
      result = json ? parser.parseJson(body, now) : parser.parseProtobuf(body, now);
    } catch (ParseException e) {
      throw new PushRejected(400, "parse", "otlp: " + e.getMessage());
    }
    ExportMetricsServiceResponse.Builder response = ExportMetricsServiceResponse.newBuilder();
    if (result.rejectedPoints() > 0) {
      rejectedPoints.increment(result.rejectedPoints());
      LOG.warn(
          "OTLP request from {}: {} data points refused, first: {}",
          endpoint,
          result.rejectedPoints(),
          result.rejection());
      response.setPartialSuccess(
          ExportMetricsPartialSuccess.newBuilder()
              .setRejectedDataPoints(result.rejectedPoints())
              .setErrorMessage(result.rejection()));
    }
    CompletableFuture<Integer> published;
    try {
      published =
          bodies.publish(
              result.parsed(), now, "otlp", Origin.PUSH_OTLP, PushIds.digest(body), endpoint);
    } catch (RuntimeException e) {
      result.deltas().rollback();
      throw e;
    }
    return published
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                result.deltas().rollback();
              }
            })
        .thenApply(ok -> response.build());
  }
}
