package dev.metricspipeline.push.internal;

import dev.metricspipeline.formats.LimitExceededException;
import dev.metricspipeline.formats.MetricsParser;
import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.ParsedSample;
import dev.metricspipeline.formats.RemoteWriteParser;
import dev.metricspipeline.formats.RemoteWriteSeriesCache;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.push.SampleWriter;
import dev.metricspipeline.schemas.MetricsPublisher.SideRecord;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
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
  private final MetadataStore metadata;
  private final Counter typedByName;
  private final RemoteWriteSeriesCache seriesCache;

  /**
   * @param metadata remote_write metadata remembered across requests (and instances, through the
   *     metadata topic)
   * @param seriesKey the writer's series key: remote_write series the cache keeps are handed to the
   *     writer encoded under the ids it makes
   */
  public BodyWriteService(
      PushGatewayConfig config,
      SampleWriter writer,
      Clock clock,
      MeterRegistry meters,
      MetadataStore metadata,
      SeriesKey seriesKey) {
    this.seriesCache =
        new RemoteWriteSeriesCache(RemoteWriteSeriesCache.DEFAULT_MAX_SERIES, seriesKey);
    this.config = config;
    this.writer = writer;
    this.clock = clock;
    this.meters = meters;
    this.metadata = metadata;
    this.typedByName =
        Counter.builder("push_remote_write_typed_by_name")
            .description(
                "remote_write samples of families with no metadata yet, typed by their names"
                    + " (_total, _bucket, _count, _sum)")
            .register(meters);
    Gauge.builder("push_remote_write_series_cached", seriesCache, RemoteWriteSeriesCache::size)
        .description(
            "remote_write series whose label bytes the gateway knows parsed (at most "
                + RemoteWriteSeriesCache.DEFAULT_MAX_SERIES
                + ")")
        .register(meters);
    Gauge.builder("push_metadata_families", metadata, MetadataStore::size)
        .description("Metric families whose remote_write metadata the gateway knows")
        .register(meters);
  }

  /**
   * Parses and publishes one remote_write 1.0 request, its series looked up by their label bytes in
   * a cache shared by all requests ({@link RemoteWriteSeriesCache}). Samples are typed from the
   * request's metadata, else from metadata remembered from earlier requests, else by their names;
   * metadata that changed is written to the metadata topic in the same transaction.
   */
  public CompletableFuture<Integer> remoteWrite(byte[] body, String endpoint) {
    long now = clock.millis();
    RemoteWriteParser.Typed typed =
        parsed(
            "remote_write",
            () ->
                new RemoteWriteParser(config.maxDecompressedBytes(), seriesCache)
                    .parse(body, now, metadata::type));
    List<SideRecord> changes = metadata.changes(config.metadataTopic(), typed.metadata());
    return publish(
            typed.parsed(),
            typed.series(),
            now,
            "remote_write",
            Origin.PUSH_REMOTE_WRITE,
            PushIds.digest(body),
            endpoint,
            changes)
        .thenApply(
            count -> {
              typedByName.increment(typed.typedByName());
              try {
                metadata.putAll(changes);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              return count;
            });
  }

  /**
   * What a remote_write 2.0 request wrote, for its {@code X-Prometheus-Remote-Write-*-Written}
   * response headers.
   */
  public record Written(int samples, int histograms, int exemplars) {}

  /**
   * Parses and publishes one remote_write 2.0 request, typed from each series' own metadata. Native
   * histograms and exemplars are not kept: the answer says 0 of them were written.
   */
  public CompletableFuture<Written> remoteWriteV2(byte[] body, String endpoint) {
    long now = clock.millis();
    RemoteWriteParser.V2 v2 =
        parsed(
            "remote_write 2.0",
            () ->
                new RemoteWriteParser(config.maxDecompressedBytes())
                    .parseV2(body, now, metadata::type));
    return publish(
            v2.typed().parsed(),
            now,
            "remote_write_v2",
            Origin.PUSH_REMOTE_WRITE,
            PushIds.digest(body),
            endpoint)
        .thenApply(
            count -> {
              typedByName.increment(v2.typed().typedByName());
              return new Written(count, 0, 0);
            });
  }

  /**
   * Parses and publishes one request; fails with {@link PushRejected} or a publish failure.
   *
   * @param format a short name for messages and metrics: remote_write, influx
   */
  public CompletableFuture<Integer> write(
      MetricsParser parser, String format, Origin origin, byte[] body, String endpoint) {
    long now = clock.millis();
    ParseResult parsed = parsed(format, () -> parser.parse(body, now));
    return publish(parsed, now, format, origin, PushIds.digest(body), endpoint);
  }

  /** A parse that may refuse its body. */
  @FunctionalInterface
  private interface Parse<T> {
    T run() throws ParseException;
  }

  /** Runs a parse; a body over a limit is 413, a bad one 400 naming the format. */
  private static <T> T parsed(String format, Parse<T> parse) {
    try {
      return parse.run();
    } catch (LimitExceededException e) {
      throw new PushRejected(413, "limit", e.getMessage());
    } catch (ParseException e) {
      throw new PushRejected(400, "parse", format + ": " + e.getMessage());
    }
  }

  /**
   * Checks limits and timestamps of parsed samples, then publishes them all or none; fails with
   * {@link PushRejected} or a publish failure.
   *
   * @param received the time the body was parsed with: the samples' ingest time, and the time of
   *     those the body gave none (which the streams stage's retried-push check recognises by the
   *     two being equal)
   * @param pushId the digest of the request as sent, so a re-sent request is counted once
   */
  public CompletableFuture<Integer> publish(
      ParseResult parsed,
      long received,
      String format,
      Origin origin,
      String pushId,
      String endpoint) {
    return publish(parsed, null, received, format, origin, pushId, endpoint, List.of());
  }

  /**
   * @param series aligned with the samples, each one's series encoded (or null); null for none
   */
  private CompletableFuture<Integer> publish(
      ParseResult parsed,
      List<EncodedSeries> series,
      long received,
      String format,
      Origin origin,
      String pushId,
      String endpoint,
      List<SideRecord> sideRecords) {
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
    List<MetricSample> samples = new ArrayList<>(parsed.samples().size());
    for (ParsedSample p : parsed.samples()) {
      LabelLimits.check(config, p.name(), p.labels());
      config
          .timestamps()
          .violation(SeriesKey.standard(), p.name(), p.labels(), p.timestamp(), now)
          .ifPresent(
              why -> {
                throw new PushRejected(400, "timestamp", format + ": " + why);
              });
      MetricSample sample = p.toAvro(origin, received);
      sample.setPushId(pushId);
      sample.setSource(endpoint);
      samples.add(sample);
    }
    Counter.builder("push_dropped_parts")
        .description("Exemplars, native histograms and string fields parsed and not kept")
        .tag("format", format)
        .register(meters)
        .increment(parsed.exemplarsDropped());
    int count = parsed.samples().size();
    return (series == null
            ? writer.write(samples, sideRecords)
            : writer.write(samples, series, sideRecords))
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
