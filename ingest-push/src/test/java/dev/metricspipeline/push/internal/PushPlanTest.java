package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.TextFormatParser;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The push semantics of the Pushgateway API, worked out without Kafka or a group store. */
class PushPlanTest {

  private static final long NOW = 1_764_000_000_000L;
  private static final PushGatewayConfig CONFIG = PushGatewayConfig.defaults();
  private static final SeriesKey KEYS = SeriesKey.standard();
  private static final GroupingKey GROUP = GroupingKey.parse("job/batch");

  private static PushService.PushRequest request(PushService.Method method, String body) {
    return new PushService.PushRequest(
        method,
        GROUP,
        body.getBytes(StandardCharsets.UTF_8),
        "text/plain; version=0.0.4",
        "push",
        Optional.of("push-1"));
  }

  private static ParseResult parse(String body) throws Exception {
    return TextFormatParser.forContentType("text/plain")
        .parse(body.getBytes(StandardCharsets.UTF_8), NOW);
  }

  private static PushPlan push(
      PushService.Method method, String body, Optional<GroupState> previous) throws Exception {
    PushPlan.Context c =
        new PushPlan.Context(
            request(method, body), GROUP.canonical(), previous, 2, "push-1", NOW, null);
    return PushPlan.push(c, parse(body), CONFIG, KEYS);
  }

  /** The group after a PUT of two families. */
  private static GroupState twoFamilies() throws Exception {
    return push(
            PushService.Method.PUT, "# TYPE a gauge\na 1\n# TYPE b gauge\nb 2\n", Optional.empty())
        .state();
  }

  private static List<String> names(PushPlan plan) {
    return plan.samples().stream()
        .map(s -> s.getName() + (StaleMarker.isStale(s.getValue()) ? "(stale)" : ""))
        .toList();
  }

  @Test
  void putReplacesTheGroupAndMarksWhatItEndsStale() throws Exception {
    PushPlan plan = push(PushService.Method.PUT, "a 5\n", Optional.of(twoFamilies()));
    assertThat(names(plan))
        .containsExactly("a", "b(stale)", "push_time_seconds", "push_failure_time_seconds");
    assertThat(plan.pushed()).isEqualTo(1);
    assertThat(plan.staleMarkers()).isEqualTo(1);
    assertThat(plan.state().series().values())
        .extracting(GroupState.Series::name)
        .containsExactly("a");
    MetricSample a = plan.samples().get(0);
    assertThat(a.getLabels()).containsEntry("job", "batch");
    assertThat(a.getPushGroup()).isEqualTo(GROUP.canonical());
    assertThat(a.getPushId()).isEqualTo("push-1");
    assertThat(plan.state().version()).isEqualTo(2);
  }

  @Test
  void postReplacesOnlyTheFamiliesPushed() throws Exception {
    PushPlan plan =
        push(PushService.Method.POST, "# TYPE b gauge\nb 7\n", Optional.of(twoFamilies()));
    assertThat(names(plan)).containsExactly("b", "push_time_seconds", "push_failure_time_seconds");
    assertThat(plan.state().series().values())
        .extracting(GroupState.Series::name, GroupState.Series::value)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("a", 1.0),
            org.assertj.core.groups.Tuple.tuple("b", 7.0));
  }

  @Test
  void deleteMarksEverySeriesAndThePushTimesStale() throws Exception {
    PushPlan.Context c =
        new PushPlan.Context(
            request(PushService.Method.DELETE, ""),
            GROUP.canonical(),
            Optional.of(twoFamilies()),
            3,
            "push-1",
            NOW,
            null);
    PushPlan plan = PushPlan.delete(c);
    assertThat(names(plan))
        .containsExactlyInAnyOrder(
            "a(stale)", "b(stale)", "push_time_seconds(stale)", "push_failure_time_seconds(stale)");
    assertThat(plan.state().deleted()).isTrue();
    assertThat(plan.state().series()).isEmpty();
  }

  @Test
  void refusalsSayWhetherTheGroupRecordsThem() {
    // Distinct in the body, one series once the grouping key's job=batch overrides job.
    assertThatThrownBy(
            () -> push(PushService.Method.PUT, "a{job=\"x\"} 1\na 2\n", Optional.empty()))
        .isInstanceOf(PushRejected.class)
        .hasMessageContaining("appears twice");
    assertThatThrownBy(
            () ->
                push(
                    PushService.Method.PUT,
                    "a 1 " + (NOW + 3_600_000) + "\n",
                    Optional.of(twoFamilies())))
        .isInstanceOf(PushPlan.RecordedRefusal.class)
        .satisfies(
            e ->
                assertThat(((PushPlan.RecordedRefusal) e).refusal().reason())
                    .isEqualTo("timestamp"));
  }
}
