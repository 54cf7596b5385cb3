package dev.metricspipeline.push.internal;

import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.ProtobufExpositionParser;
import dev.metricspipeline.formats.TextFormatParser;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.push.SampleWriter;
import dev.metricspipeline.schemas.MetricsPublisher.SideRecord;
import dev.metricspipeline.schemas.SeriesKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pushgateway semantics, without HTTP.
 *
 * <ul>
 *   <li><b>PUT</b> replaces the group: series of the group that the push does not carry get a stale
 *       marker.
 *   <li><b>POST</b> replaces the pushed metric families within the group: series of those families
 *       that the push does not carry get a stale marker; other families stay.
 *   <li><b>DELETE</b> removes the group: every series gets a stale marker.
 * </ul>
 *
 * <p>Grouping labels override labels of the same name in the body. Every push also publishes the
 * group's {@code push_time_seconds} and {@code push_failure_time_seconds}. A push is all or
 * nothing: a body with one bad line is refused whole (400, nothing published), and the answer comes
 * only after Kafka committed the push's samples together with the new group state.
 *
 * <p>Each sample carries the push group and a push id: the {@code Idempotency-Key} header when
 * given, else a digest of method, grouping key and body, so that the streams stage can count a
 * retried push once.
 */
public final class PushService {

  private static final Logger LOG = LoggerFactory.getLogger(PushService.class);

  /** PUT, POST or DELETE. */
  public enum Method {
    PUT,
    POST,
    DELETE
  }

  /** One push as received (body already decompressed). */
  public record PushRequest(
      Method method,
      GroupingKey key,
      byte[] body,
      String contentType,
      String endpoint,
      Optional<String> idempotencyKey) {}

  /** What a successful push did. */
  public record PushOutcome(int samples, int staleMarkers) {}

  private final PushGatewayConfig config;
  private final GroupStore store;
  private final SampleWriter writer;
  private final SeriesKey seriesKey;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Counter accepted;
  private final Counter stale;
  private final Counter exemplarsDropped;
  private final Timer commit;

  public PushService(
      PushGatewayConfig config,
      GroupStore store,
      SampleWriter writer,
      SeriesKey seriesKey,
      Clock clock,
      MeterRegistry meters) {
    this.config = config;
    this.store = store;
    this.writer = writer;
    this.seriesKey = seriesKey;
    this.clock = clock;
    this.meters = meters;
    this.accepted =
        Counter.builder("push_samples_accepted")
            .description("Samples accepted and committed to Kafka")
            .register(meters);
    this.stale =
        Counter.builder("push_stale_markers")
            .description("Stale markers published for series that left a group")
            .register(meters);
    this.exemplarsDropped =
        Counter.builder("push_exemplars_dropped")
            .description("Exemplars parsed and not kept")
            .register(meters);
    this.commit =
        Timer.builder("push_commit")
            .description("Time from a push's arrival to its Kafka commit")
            .publishPercentileHistogram()
            .register(meters);
  }

  /** Counts a refused push's samples by reason and logs it. */
  public void rejected(String reason, String group, String message) {
    Counter.builder("push_requests_rejected")
        .description("Pushes refused, by reason")
        .tag("reason", reason)
        .register(meters)
        .increment();
    LOG.warn("Refused push to {{{}}}: {}", group, message);
  }

  /** Applies one push; the future fails with {@link PushRejected} or a publish failure. */
  public CompletableFuture<PushOutcome> push(PushRequest request) {
    String key = request.key().canonical();
    long started = System.nanoTime();
    return store
        .serialized(key, () -> apply(request, key))
        .whenComplete(
            (outcome, error) -> {
              if (error == null) {
                commit.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                accepted.increment(outcome.samples());
                stale.increment(outcome.staleMarkers());
              }
            });
  }

  private CompletableFuture<PushOutcome> apply(PushRequest request, String key) {
    long now = clock.millis();
    Optional<GroupState> previous = store.get(key);
    PushMemo memo = request.method() == Method.DELETE ? null : store.memo(key);
    PushPlan.Context context =
        new PushPlan.Context(
            request,
            key,
            previous,
            store.version(key) + 1,
            request.idempotencyKey().orElseGet(() -> digest(request)),
            now,
            memo);
    if (request.method() == Method.DELETE) {
      return write(PushPlan.delete(context), key);
    }

    ParseResult parsed;
    boolean protobuf = ProtobufExpositionParser.handles(request.contentType());
    try {
      parsed =
          protobuf
              ? ProtobufExpositionParser.instance().parse(request.body(), now)
              : TextFormatParser.forContentType(request.contentType())
                  .parse(request.body(), now, memo == null ? null : memo.texts());
    } catch (ParseException e) {
      return failed(
          key,
          previous,
          now,
          new PushRejected(
              400,
              "parse",
              (protobuf ? "protobuf parsing error: " : "text format parsing error in ")
                  + e.getMessage()));
    }
    exemplarsDropped.increment(parsed.exemplarsDropped());
    if (parsed.samples().size() > config.maxSamplesPerPush()) {
      throw new PushRejected(
          400,
          "limit",
          "the push has "
              + parsed.samples().size()
              + " samples; at most "
              + config.maxSamplesPerPush()
              + " are allowed");
    }
    checkTypesAgainstOtherGroups(key, parsed);
    PushPlan plan;
    try {
      plan = PushPlan.push(context, parsed, config, seriesKey);
    } catch (PushPlan.RecordedRefusal r) {
      return failed(key, previous, now, r.refusal());
    }
    if (memo != null) {
      memo.remember(parsed.samples(), plan.resolved());
    }
    return write(plan, key).thenApply(o -> new PushOutcome(plan.pushed(), o.staleMarkers()));
  }

  /** Publishes a plan's samples with the group's next state, in one transaction. */
  private CompletableFuture<PushOutcome> write(PushPlan plan, String key) {
    SideRecord side = new SideRecord(config.groupsTopic(), key, plan.state().toJson());
    CompletableFuture<Void> written =
        plan.series() == null
            ? writer.write(plan.samples(), List.of(side))
            : writer.write(plan.samples(), plan.series(), List.of(side));
    return written.thenApply(
        ok -> {
          store.apply(key, plan.state());
          return new PushOutcome(plan.samples().size(), plan.staleMarkers());
        });
  }

  /**
   * Records a refused push as the group's {@code push_failure_time_seconds}, then fails with the
   * refusal. It runs inside the group's serialized queue (the caller is {@link #apply}), so a push
   * that follows waits for this write and computes its version after it: the failure's state is
   * never overwritten by a push that read the same version. A group never pushed successfully has
   * no failure time to record.
   */
  private CompletableFuture<PushOutcome> failed(
      String key, Optional<GroupState> previous, long now, PushRejected refusal) {
    if (previous.isEmpty()) {
      return CompletableFuture.failedFuture(refusal);
    }
    PushPlan failure = PushPlan.failure(previous.get(), key, store.version(key) + 1, now);
    return writer
        .write(
            failure.samples(),
            List.of(new SideRecord(config.groupsTopic(), key, failure.state().toJson())))
        .handle(
            (ok, e) -> {
              if (e == null) {
                store.apply(key, failure.state());
              } else {
                LOG.warn("Could not record the failed push of {{{}}}: {}", key, e.toString());
              }
              throw refusal;
            });
  }

  /**
   * The Pushgateway's consistency check across groups: a metric family pushed with one type must
   * not already exist with another type in a different group (Prometheus would see one family with
   * two types).
   */
  private void checkTypesAgainstOtherGroups(String key, ParseResult parsed) {
    Map<String, String> pushedTypes = new HashMap<>();
    for (int i = 0; i < parsed.samples().size(); i++) {
      pushedTypes.putIfAbsent(
          parsed.families().get(i), GroupState.familyType(parsed.samples().get(i).type()));
    }
    Optional<GroupStore.Conflict> conflict = store.conflict(key, pushedTypes);
    if (conflict.isPresent()) {
      GroupStore.Conflict c = conflict.get();
      throw new PushRejected(
          400,
          "inconsistent",
          "pushed metrics are invalid or inconsistent with existing metrics: "
              + c.family()
              + " is pushed as "
              + c.pushedType()
              + " but group {"
              + c.otherGroup()
              + "} has it as "
              + c.otherType());
    }
  }

  private static String digest(PushRequest request) {
    return PushIds.digest(
        request.method().name().getBytes(StandardCharsets.UTF_8),
        request.key().canonical().getBytes(StandardCharsets.UTF_8),
        request.body());
  }
}
