package dev.metricspipeline.push.internal;

import dev.metricspipeline.formats.LimitExceededException;
import dev.metricspipeline.formats.MetricsParser;
import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.RemoteWriteParser;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.push.SampleWriter;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Receivers of whole-body formats without grouping keys (remote_write, Influx line protocol, OTLP),
 * without HTTP: a request's samples are published all together or not at all. Each sample carries
 * its origin and a push id (a digest of the body as sent), so a batch that a sender re-sends after
 * a timeout can be recognised downstream.
 */
public final class BodyWriteService {

  private final PushGatewayConfig config;
  private final SampleWriter writer;
  private final Clock clock;
  private final MeterRegistry meters;

  public BodyWriteService(
      PushGatewayConfig config, SampleWriter writer, Clock clock, MeterRegistry meters) {
    this.config = config;
    this.writer = writer;
    this.clock = clock;
    this.meters = meters;
  }

  /** The remote_write 1.0 parser with the configured decompression limit. */
  public MetricsParser remoteWriteParser() {
    return new RemoteWriteParser(config.maxDecompressedBytes());
  }

  /**
   * Parses and publishes one request; fails with {@link PushRejected} or a publish failure.
   *
   * @param format a short name for messages and metrics: remote_write, influx
   */
  public CompletableFuture<Integer> write(
      MetricsParser parser, String format, Origin origin, byte[] body, String endpoint) {
    ParseResult parsed;
    try {
      parsed = parser.parse(body, clock.millis());
    } catch (LimitExceededException e) {
      throw new PushRejected(413, "limit", e.getMessage());
    } catch (ParseException e) {
      throw new PushRejected(400, "parse", format + ": " + e.getMessage());
    }
    return publish(parsed, format, origin, PushIds.digest(body), endpoint);
  }

  /**
   * Checks limits and timestamps of parsed samples, then publishes them all or none; fails with
   * {@link PushRejected} or a publish failure.
   *
   * @param pushId the digest of the request as sent, so a re-sent request is counted once
   */
  public CompletableFuture<Integer> publish(
      ParseResult parsed, String format, Origin origin, String pushId, String endpoint) {
    if (parsed.samples().size() > config.maxSamplesPerPush()) {
      throw new PushRejected(
          400,
          "limit",
          "the request has "
              + parsed.samples().size()
              + " samples; at most "
              + config.maxSamplesPerPush()
              + " are allowed");
    }
    long now = clock.millis();
    for (MetricSample sample : parsed.samples()) {
      LabelLimits.check(config, sample.getName(), sample.getLabels());
      config
          .timestamps()
          .violation(SeriesKey.standard(), sample, now)
          .ifPresent(
              why -> {
                throw new PushRejected(400, "timestamp", format + ": " + why);
              });
      sample.setOrigin(origin);
      sample.setPushId(pushId);
      sample.setSource(endpoint);
    }
    Counter.builder("push_dropped_parts")
        .description("Exemplars, native histograms and string fields parsed and not kept")
        .tag("format", format)
        .register(meters)
        .increment(parsed.exemplarsDropped());
    int count = parsed.samples().size();
    return writer
        .write(parsed.samples(), List.of())
        .thenApply(
            ok -> {
              Counter.builder("push_samples_accepted_by_format")
                  .description("Samples committed to Kafka, by format")
                  .tag("format", format)
                  .register(meters)
                  .increment(count);
              return count;
            });
  }
}
