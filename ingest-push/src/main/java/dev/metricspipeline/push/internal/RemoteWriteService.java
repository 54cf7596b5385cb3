package dev.metricspipeline.push.internal;

import dev.metricspipeline.formats.LimitExceededException;
import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.RemoteWriteParser;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.push.SampleWriter;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Prometheus remote_write 1.0 receiver logic, without HTTP: a request's samples are published all
 * together or not at all. Each sample carries a push id (a digest of the compressed body), so a
 * batch a sender re-sends after a timeout can be recognised downstream.
 */
public final class RemoteWriteService {

  private final PushGatewayConfig config;
  private final SampleWriter writer;
  private final RemoteWriteParser parser;
  private final Clock clock;
  private final Counter accepted;
  private final Counter dropped;

  public RemoteWriteService(
      PushGatewayConfig config, SampleWriter writer, Clock clock, MeterRegistry meters) {
    this.config = config;
    this.writer = writer;
    this.parser = new RemoteWriteParser(config.maxDecompressedBytes());
    this.clock = clock;
    this.accepted =
        Counter.builder("remote_write_samples_accepted")
            .description("remote_write samples committed to Kafka")
            .register(meters);
    this.dropped =
        Counter.builder("remote_write_exemplars_and_histograms_dropped")
            .description("remote_write exemplars and native histograms not kept")
            .register(meters);
  }

  /** Parses and publishes one request; fails with {@link PushRejected} or a publish failure. */
  public CompletableFuture<Integer> write(byte[] body, String endpoint) {
    ParseResult parsed;
    try {
      parsed = parser.parse(body, clock.millis());
    } catch (LimitExceededException e) {
      throw new PushRejected(413, "limit", e.getMessage());
    } catch (ParseException e) {
      throw new PushRejected(400, "parse", "remote_write: " + e.getMessage());
    }
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
    String pushId = digest(body);
    for (MetricSample sample : parsed.samples()) {
      if (sample.getLabels().size() > config.maxLabelsPerSeries()) {
        throw new PushRejected(
            400,
            "limit",
            sample.getName()
                + " has "
                + sample.getLabels().size()
                + " labels; at most "
                + config.maxLabelsPerSeries()
                + " are allowed");
      }
      sample.setOrigin(Origin.PUSH_REMOTE_WRITE);
      sample.setPushId(pushId);
      sample.setSource(endpoint);
    }
    dropped.increment(parsed.exemplarsDropped());
    int count = parsed.samples().size();
    return writer
        .write(parsed.samples(), List.of())
        .thenApply(
            ok -> {
              accepted.increment(count);
              return count;
            });
  }

  private static String digest(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
