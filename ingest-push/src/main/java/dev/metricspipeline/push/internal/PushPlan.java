package dev.metricspipeline.push.internal;

import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.ParsedSample;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one push does to its group, worked out without Kafka or the group store: the samples to
 * publish (the pushed ones with the grouping labels, stale markers for series the push ends, {@code
 * push_time_seconds} and {@code push_failure_time_seconds}) and the group's next state. {@link
 * PushService} checks what needs the other groups, then publishes a plan in one transaction.
 *
 * @param resolved for a push with a memo, what each pushed sample's series resolved to, aligned
 *     with the parsed samples and so with the first {@code pushed} of {@code samples}, for {@link
 *     PushMemo#remember} once the plan stands and for {@link #series()}; else null
 * @param pushed how many of {@code samples} the client pushed
 * @param staleMarkers how many are stale markers
 */
record PushPlan(
    List<MetricSample> samples,
    List<PushMemo.Resolved> resolved,
    GroupState state,
    int pushed,
    int staleMarkers) {

  /**
   * Each sample's series encoded for the samples topic: the pushed samples' from {@code resolved},
   * null for the stale markers and push times after them (written field by field); or null for a
   * plan without a memo.
   */
  List<EncodedSeries> series() {
    if (resolved == null) {
      return null;
    }
    List<EncodedSeries> series = new ArrayList<>(samples.size());
    for (PushMemo.Resolved r : resolved) {
      series.add(r.encoded());
    }
    while (series.size() < samples.size()) {
      series.add(null);
    }
    return series;
  }

  /**
   * The push and what it meets.
   *
   * @param previous the group's state before the push, if it exists
   * @param version the version the group's next state gets
   * @param pushId the push's id (idempotency key or digest), stamped on every sample
   * @param memo what the group's last push on this instance worked out for its series, or null
   */
  record Context(
      PushService.PushRequest request,
      String key,
      Optional<GroupState> previous,
      long version,
      String pushId,
      long now,
      PushMemo memo) {}

  /**
   * A refusal the Pushgateway records as the group's {@code push_failure_time_seconds} (a bad
   * timestamp), unlike the others, which leave the group as it was.
   */
  static final class RecordedRefusal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final PushRejected refusal;

    RecordedRefusal(PushRejected refusal) {
      super(refusal.getMessage(), refusal);
      this.refusal = refusal;
    }

    PushRejected refusal() {
      return refusal;
    }
  }

  /** {@code DELETE}: a stale marker for every series of the group and its push times. */
  static PushPlan delete(Context c) {
    List<MetricSample> samples = new ArrayList<>();
    c.previous().ifPresent(g -> g.series().values().forEach(s -> samples.add(staleMarker(s, c))));
    if (c.previous().isPresent()) {
      for (String meta : List.of("push_time_seconds", "push_failure_time_seconds")) {
        samples.add(
            staleMarker(
                new GroupState.Series(
                    meta, meta, c.request().key().labels(), SampleType.GAUGE, 0, c.now()),
                c));
      }
    }
    GroupState deleted =
        new GroupState(
            c.request().key(),
            Map.of(),
            c.previous().map(GroupState::lastPushMs).orElse(0L),
            0,
            c.version(),
            true);
    return new PushPlan(samples, null, deleted, samples.size(), samples.size());
  }

  /**
   * {@code PUT} (the pushed series replace the group's) or {@code POST} (they replace the group's
   * series of the families pushed).
   *
   * @throws PushRejected for label limits and a series pushed twice
   * @throws RecordedRefusal for a timestamp out of range
   */
  static PushPlan push(
      Context c, ParseResult parsed, PushGatewayConfig config, SeriesKey seriesKey) {
    PushService.PushRequest request = c.request();
    LinkedHashMap<String, GroupState.Series> pushed = new LinkedHashMap<>();
    List<MetricSample> samples = new ArrayList<>(parsed.samples().size() + 8);
    Set<String> families = new HashSet<>(parsed.families());
    PushMemo memo = c.memo();
    PushMemo.Resolved[] resolved = new PushMemo.Resolved[parsed.samples().size()];
    for (int i = 0; i < parsed.samples().size(); i++) {
      ParsedSample parsedSample = parsed.samples().get(i);
      String family = parsed.families().get(i);
      PushMemo.Resolved r = memo == null ? null : memo.find(i, parsedSample, family);
      if (r == null) {
        TreeMap<String, String> labels = new TreeMap<>(parsedSample.labels());
        labels.putAll(request.key().labels());
        LabelLimits.check(config, parsedSample.name(), labels);
        // Shared by this series' samples and states from now on: nothing may change it.
        Map<String, String> merged = Collections.unmodifiableSortedMap(labels);
        String id = seriesKey.idOf(parsedSample.name(), merged);
        GroupState.Series first =
            new GroupState.Series(
                family,
                parsedSample.name(),
                merged,
                parsedSample.type(),
                parsedSample.value(),
                parsedSample.timestamp(),
                memo != null);
        r =
            new PushMemo.Resolved(
                first, id, memo == null ? null : EncodedSeries.of(first.name(), merged, id));
      } else {
        r =
            new PushMemo.Resolved(
                r.series().next(parsedSample.value(), parsedSample.timestamp()),
                r.id(),
                r.encoded());
      }
      resolved[i] = r;
      GroupState.Series series = r.series();
      String id = r.id();
      MetricSample sample = parsedSample.toAvro(Origin.PUSH_PROMETHEUS, c.now());
      sample.setName(series.name());
      sample.setLabels(series.labels());
      sample.setPushGroup(c.key());
      sample.setPushId(c.pushId());
      sample.setSource(request.endpoint());
      GroupState.Series twin = pushed.get(id);
      if (twin != null && sample.getTimestamp() == twin.timestamp()) {
        throw new PushRejected(
            400,
            "duplicate",
            "pushed metrics are invalid: "
                + id
                + " appears twice (after applying the grouping key)");
      }
      Optional<String> badTime = config.timestamps().violation(id, sample.getTimestamp(), c.now());
      if (badTime.isPresent()) {
        throw new RecordedRefusal(new PushRejected(400, "timestamp", badTime.get()));
      }
      pushed.put(id, series);
      samples.add(sample);
    }
    int carried = samples.size();

    // A PUT's group is what it pushed; a POST keeps the earlier series of the families not pushed.
    LinkedHashMap<String, GroupState.Series> next = pushed;
    if (request.method() == PushService.Method.POST && c.previous().isPresent()) {
      LinkedHashMap<String, GroupState.Series> kept = new LinkedHashMap<>();
      c.previous()
          .get()
          .series()
          .forEach(
              (id, s) -> {
                if (!families.contains(s.family())) {
                  kept.put(id, s);
                }
              });
      kept.putAll(pushed);
      next = kept;
    }
    Map<String, GroupState.Series> after = next;
    // forEach, not entrySet(): an unmodifiable map's entry set wraps every entry it hands out.
    c.previous()
        .ifPresent(
            g ->
                g.series()
                    .forEach(
                        (id, s) -> {
                          if (!after.containsKey(id)) {
                            samples.add(staleMarker(s, c));
                          }
                        }));
    int staleCount = samples.size() - carried;
    long lastFailure = c.previous().map(GroupState::lastFailureMs).orElse(0L);
    samples.add(meta("push_time_seconds", c.now() / 1000.0, c));
    samples.add(meta("push_failure_time_seconds", lastFailure / 1000.0, c));
    // Nothing changes next (or pushed) from here on: the state takes it without a copy.
    GroupState state =
        new GroupState(
            request.key(), GroupState.adopt(next), c.now(), lastFailure, c.version(), false);
    return new PushPlan(
        samples, memo == null ? null : Arrays.asList(resolved), state, carried, staleCount);
  }

  /**
   * A refused push on a group that exists: its {@code push_failure_time_seconds} sample and state.
   */
  static PushPlan failure(GroupState g, String key, long version, long now) {
    GroupState failed = new GroupState(g.key(), g.series(), g.lastPushMs(), now, version, false);
    MetricSample sample =
        gatewaySample(
            "push_failure_time_seconds",
            g.key().labels(),
            SampleType.GAUGE,
            now / 1000.0,
            now,
            key,
            "failure-" + now,
            "push");
    return new PushPlan(List.of(sample), null, failed, 0, 0);
  }

  private static MetricSample staleMarker(GroupState.Series s, Context c) {
    return gatewaySample(
        s.name(),
        s.labels(),
        s.type(),
        StaleMarker.VALUE,
        c.now(),
        c.key(),
        c.pushId(),
        c.request().endpoint());
  }

  private static MetricSample meta(String name, double value, Context c) {
    return gatewaySample(
        name,
        c.request().key().labels(),
        SampleType.GAUGE,
        value,
        c.now(),
        c.key(),
        c.pushId(),
        c.request().endpoint());
  }

  /** A sample the gateway makes itself (stale markers, push times), stamped with the push. */
  private static MetricSample gatewaySample(
      String name,
      Map<String, String> labels,
      SampleType type,
      double value,
      long now,
      String key,
      String pushId,
      String endpoint) {
    return MetricSample.newBuilder()
        .setName(name)
        .setLabels(new TreeMap<>(labels))
        .setType(type)
        .setValue(value)
        .setTimestamp(now)
        .setIngestTimestamp(now)
        .setOrigin(Origin.PUSH_PROMETHEUS)
        .setPushGroup(key)
        .setPushId(pushId)
        .setSource(endpoint)
        .build();
  }
}
