package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.schemas.MetricsPublisher.SideRecord;
import dev.metricspipeline.schemas.PublishException;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PushServiceTest {

  private static final long NOW = 1_700_000_000_000L;

  private final List<List<MetricSample>> written = new ArrayList<>();
  private final List<SideRecord> sides = new ArrayList<>();
  private final GroupStore store = new GroupStore();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private boolean kafkaDown;
  private final PushService service =
      new PushService(
          PushGatewayConfig.defaults(),
          store,
          (samples, side) -> {
            if (kafkaDown) {
              return CompletableFuture.failedFuture(
                  new PublishException("Kafka is away", true, null));
            }
            written.add(samples);
            sides.addAll(side);
            return CompletableFuture.completedFuture(null);
          },
          SeriesKey.standard(),
          Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
          meters);

  private PushService.PushOutcome push(PushService.Method method, String path, String body)
      throws Exception {
    return push(method, path, body, Optional.empty());
  }

  private PushService.PushOutcome push(
      PushService.Method method, String path, String body, Optional<String> idempotencyKey)
      throws Exception {
    try {
      return service
          .push(
              new PushService.PushRequest(
                  method,
                  GroupingKey.parse(path),
                  body.getBytes(StandardCharsets.UTF_8),
                  "application/x-www-form-urlencoded",
                  method + " /metrics/" + path,
                  idempotencyKey))
          .get();
    } catch (ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private List<MetricSample> last() {
    return written.get(written.size() - 1);
  }

  private static Map<String, Double> byId(List<MetricSample> samples) {
    return samples.stream()
        .collect(
            Collectors.toMap(
                s -> SeriesKey.standard().idOf(s),
                MetricSample::getValue,
                (a, b) -> b,
                java.util.TreeMap::new));
  }

  @Test
  void theSeedPushPublishesTheSampleWithItsJobAndThePushTimes() throws Exception {
    PushService.PushOutcome outcome =
        push(PushService.Method.POST, "job/batch_job", "job_duration_seconds 12.5");
    assertThat(outcome.samples()).isEqualTo(1);
    MetricSample sample = last().get(0);
    assertThat(sample.getName()).isEqualTo("job_duration_seconds");
    assertThat(sample.getLabels()).isEqualTo(Map.of("job", "batch_job"));
    assertThat(sample.getValue()).isEqualTo(12.5);
    assertThat(sample.getTimestamp()).isEqualTo(NOW);
    assertThat(sample.getOrigin()).isEqualTo(Origin.PUSH_PROMETHEUS);
    assertThat(sample.getPushGroup()).isEqualTo("job=\"batch_job\"");
    assertThat(sample.getPushId()).hasSize(32);
    assertThat(byId(last()))
        .containsEntry("push_time_seconds{job=\"batch_job\"}", NOW / 1000.0)
        .containsEntry("push_failure_time_seconds{job=\"batch_job\"}", 0.0);
    assertThat(sides)
        .singleElement()
        .satisfies(
            side -> {
              assertThat(side.topic()).isEqualTo(PushGatewayConfig.DEFAULT_GROUPS_TOPIC);
              assertThat(side.key()).isEqualTo("job=\"batch_job\"");
            });
    assertThat(store.get("job=\"batch_job\"")).isPresent();
    assertThat(meters.counter("push_samples_accepted").count()).isEqualTo(1.0);
  }

  @Test
  void groupingLabelsOverrideBodyLabels() throws Exception {
    push(
        PushService.Method.PUT,
        "job/j/instance/i1",
        "m{instance=\"other\",job=\"x\",zone=\"a\"} 1");
    assertThat(last().get(0).getLabels())
        .isEqualTo(Map.of("job", "j", "instance", "i1", "zone", "a"));
  }

  @Test
  void putReplacesTheGroupAndEndsTheSeriesItDropped() throws Exception {
    push(PushService.Method.PUT, "job/j", "a 1\nb 2\n");
    push(PushService.Method.PUT, "job/j", "b 3\n");
    Map<String, Double> values = byId(last());
    assertThat(values).containsEntry("b{job=\"j\"}", 3.0);
    MetricSample stale =
        last().stream().filter(s -> s.getName().equals("a")).findFirst().orElseThrow();
    assertThat(StaleMarker.isStale(stale.getValue())).isTrue();
    assertThat(meters.counter("push_stale_markers").count()).isEqualTo(1.0);
  }

  @Test
  void postReplacesOnlyThePushedFamilies() throws Exception {
    push(PushService.Method.PUT, "job/j", "a{x=\"1\"} 1\na{x=\"2\"} 2\nb 2\n");
    push(PushService.Method.POST, "job/j", "a{x=\"1\"} 5\n");
    List<String> staleNames =
        last().stream()
            .filter(s -> StaleMarker.isStale(s.getValue()))
            .map(s -> SeriesKey.standard().idOf(s))
            .toList();
    assertThat(staleNames).containsExactly("a{job=\"j\",x=\"2\"}");
    assertThat(store.get("job=\"j\"").orElseThrow().series())
        .containsOnlyKeys("a{job=\"j\",x=\"1\"}", "b{job=\"j\"}");
  }

  @Test
  void deleteEndsEverySeriesOfTheGroup() throws Exception {
    push(PushService.Method.PUT, "job/j", "a 1\nb 2\n");
    push(PushService.Method.DELETE, "job/j", "");
    assertThat(last()).allSatisfy(s -> assertThat(StaleMarker.isStale(s.getValue())).isTrue());
    assertThat(last())
        .extracting(MetricSample::getName)
        .containsExactlyInAnyOrder("a", "b", "push_time_seconds", "push_failure_time_seconds");
    assertThat(store.get("job=\"j\"")).isEmpty();
    assertThat(store.version("job=\"j\"")).isEqualTo(2);
  }

  @Test
  void aBadLineRefusesThePushWholeAndPublishesNothingOfIt() {
    assertThatThrownBy(() -> push(PushService.Method.POST, "job/j", "a 1\nb{x='y'} 2\n"))
        .isInstanceOf(PushRejected.class)
        .hasMessage(
            "text format parsing error in line 2, column 5: expected '\"' to start the value of label x, got \"'\"")
        .satisfies(e -> assertThat(((PushRejected) e).status()).isEqualTo(400));
    assertThat(written).isEmpty();
    assertThat(store.get("job=\"j\"")).isEmpty();
  }

  @Test
  void samplesStampedBeforeTheEpochOrTooFarAheadAreRefusedWhole() {
    assertThatThrownBy(
            () -> push(PushService.Method.POST, "job/j", "a 1\nb 2 -9223372036854775806\n"))
        .isInstanceOf(PushRejected.class)
        .hasMessage(
            "sample b{job=\"j\"} has timestamp -9223372036854775806 ms, before 1970-01-01T00:00:00Z;"
                + " negative timestamps are refused")
        .satisfies(e -> assertThat(((PushRejected) e).status()).isEqualTo(400))
        .satisfies(e -> assertThat(((PushRejected) e).reason()).isEqualTo("timestamp"));
    long inAnHour = NOW + 3_600_000;
    assertThatThrownBy(() -> push(PushService.Method.POST, "job/j", "a 1 " + inAnHour + "\n"))
        .isInstanceOf(PushRejected.class)
        .hasMessageStartingWith("sample a{job=\"j\"} has timestamp " + inAnHour + " ms")
        .hasMessageContaining("at most PT10M ahead");
    assertThat(written).isEmpty();
    assertThat(store.get("job=\"j\"")).isEmpty();
  }

  @Test
  void aFailedPushIsRecordedBeforeTheNextPushOfItsGroupComputesItsVersion() throws Exception {
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    List<List<MetricSample>> writes = new ArrayList<>();
    PushService slow =
        new PushService(
            PushGatewayConfig.defaults(),
            store,
            (samples, side) -> {
              CompletableFuture<Void> done = new CompletableFuture<>();
              writes.add(samples);
              pending.add(done);
              return done;
            },
            SeriesKey.standard(),
            Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
            meters);
    java.util.function.Function<String, CompletableFuture<PushService.PushOutcome>> post =
        body ->
            slow.push(
                new PushService.PushRequest(
                    PushService.Method.POST,
                    GroupingKey.parse("job/j"),
                    body.getBytes(StandardCharsets.UTF_8),
                    "text/plain",
                    "POST /metrics/job/j",
                    Optional.empty()));
    CompletableFuture<PushService.PushOutcome> first = post.apply("a 1\n");
    pending.get(0).complete(null);
    first.get();
    assertThat(store.version("job=\"j\"")).isEqualTo(1);

    CompletableFuture<PushService.PushOutcome> bad = post.apply("a{ 1\n");
    CompletableFuture<PushService.PushOutcome> good = post.apply("a 2\n");
    assertThat(writes).as("the failure's write, and not yet the next push").hasSize(2);
    pending.get(1).complete(null);
    assertThatThrownBy(bad::get).hasCauseInstanceOf(PushRejected.class);
    assertThat(store.get("job=\"j\"").orElseThrow().lastFailureMs()).isEqualTo(NOW);
    assertThat(writes).as("the next push, after the failure was recorded").hasSize(3);
    pending.get(2).complete(null);
    good.get();
    GroupState state = store.get("job=\"j\"").orElseThrow();
    assertThat(state.version()).isEqualTo(3);
    assertThat(state.lastFailureMs()).as("kept by the push after it").isEqualTo(NOW);
    assertThat(byId(writes.get(2)))
        .containsEntry("push_failure_time_seconds{job=\"j\"}", NOW / 1000.0);
  }

  @Test
  void seriesThatCollideAfterTheGroupingKeyIsAppliedAreRefused() {
    assertThatThrownBy(
            () -> push(PushService.Method.PUT, "job/j", "a{job=\"x\"} 1\na{job=\"y\"} 2\n"))
        .isInstanceOf(PushRejected.class)
        .hasMessageContaining("a{job=\"j\"} appears twice");
    assertThat(written).isEmpty();
  }

  @Test
  void aFamilyPushedWithAnotherTypeThanInAnotherGroupIsRefused() throws Exception {
    push(PushService.Method.PUT, "job/a", "# TYPE requests counter\nrequests 1\n");
    assertThatThrownBy(
            () -> push(PushService.Method.PUT, "job/b", "# TYPE requests gauge\nrequests 2\n"))
        .isInstanceOf(PushRejected.class)
        .hasMessage(
            "pushed metrics are invalid or inconsistent with existing metrics: requests is pushed as"
                + " gauge but group {job=\"a\"} has it as counter");
    push(PushService.Method.PUT, "job/b", "# TYPE requests counter\nrequests 2\n");
    assertThat(written).as("the consistent pushes").hasSize(2);
  }

  @Test
  void theTypeCheckFollowsGroupsAsTheyChangeAndGo() throws Exception {
    push(PushService.Method.PUT, "job/a", "# TYPE requests counter\nrequests 1\n");
    // A group may change its own family's type: only other groups count.
    push(PushService.Method.PUT, "job/a", "# TYPE requests gauge\nrequests 1\n");
    push(PushService.Method.PUT, "job/b", "# TYPE requests gauge\nrequests 2\n");
    assertThatThrownBy(
            () -> push(PushService.Method.PUT, "job/c", "# TYPE requests counter\nrequests 3\n"))
        .isInstanceOf(PushRejected.class)
        .hasMessageContaining("requests is pushed as counter but group {job=");
    push(PushService.Method.DELETE, "job/a", "");
    push(PushService.Method.DELETE, "job/b", "");
    push(PushService.Method.PUT, "job/c", "# TYPE requests counter\nrequests 3\n");
    assertThat(store.get("job=\"c\"")).isPresent();
  }

  @Test
  void kafkaFailureLeavesTheGroupAsItWas() throws Exception {
    push(PushService.Method.PUT, "job/j", "a 1\n");
    kafkaDown = true;
    assertThatThrownBy(() -> push(PushService.Method.PUT, "job/j", "b 1\n"))
        .isInstanceOf(PublishException.class);
    assertThat(store.get("job=\"j\"").orElseThrow().series()).containsOnlyKeys("a{job=\"j\"}");
    kafkaDown = false;
    push(PushService.Method.PUT, "job/j", "b 1\n");
    assertThat(
            last().stream()
                .filter(s -> StaleMarker.isStale(s.getValue()))
                .map(MetricSample::getName))
        .containsExactly("a");
  }

  @Test
  void pushIdIsTheIdempotencyKeyOrADigestOfTheRequest() throws Exception {
    push(PushService.Method.POST, "job/j", "a 1\n", Optional.of("retry-42"));
    assertThat(last().get(0).getPushId()).isEqualTo("retry-42");
    push(PushService.Method.POST, "job/j", "a 1\n");
    String first = last().get(0).getPushId();
    push(PushService.Method.POST, "job/j", "a 1\n");
    assertThat(last().get(0).getPushId()).isEqualTo(first);
    push(PushService.Method.POST, "job/j", "a 2\n");
    assertThat(last().get(0).getPushId()).isNotEqualTo(first);
  }

  @Test
  void tooManySamplesAreRefused() {
    PushService small =
        new PushService(
            PushGatewayConfig.defaults().withLimits(1 << 20, 1 << 20, 2),
            store,
            (samples, side) -> CompletableFuture.completedFuture(null),
            SeriesKey.standard(),
            Clock.systemUTC(),
            meters);
    assertThatThrownBy(
            () ->
                small
                    .push(
                        new PushService.PushRequest(
                            PushService.Method.PUT,
                            GroupingKey.parse("job/j"),
                            "a 1\nb 1\nc 1\n".getBytes(StandardCharsets.UTF_8),
                            null,
                            "PUT",
                            Optional.empty()))
                    .get())
        .hasCauseInstanceOf(PushRejected.class)
        .hasMessageContaining("the push has 3 samples; at most 2 are allowed");
  }
}
