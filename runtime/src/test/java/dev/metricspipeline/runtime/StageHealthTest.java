package dev.metricspipeline.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.testkit.TestClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StageHealthTest {

  private final TestClock clock = TestClock.at(Instant.parse("2026-01-01T00:00:00Z"));
  private final StageHealth health = new StageHealth("sink", 2, Duration.ofMinutes(1), clock);

  @Test
  void failedOnlyAfterMoreFaultsInARowThanTheBound() {
    health.fault("a");
    health.fault("b");
    assertThat(health.healthy()).isTrue();
    assertThat(health.fault("c")).isEqualTo(3);
    assertThat(health.failure()).contains("sink failed 3 times in a row, last: c");
  }

  @Test
  void aQuietPeriodEndsTheStreakAndTheFailure() {
    health.fault("a");
    health.fault("b");
    health.fault("c");
    clock.advance(Duration.ofSeconds(61));
    assertThat(health.healthy()).as("no fault for a minute").isTrue();
    assertThat(health.fault("d")).as("a new streak").isEqualTo(1);
  }

  @Test
  void recoveredEndsTheStreakAndEveryFaultIsPublished() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    health.bindTo(meters);
    health.fault("a");
    health.fault("b");
    health.fault("c");
    assertThat(meters.get("stage.up").tag("stage", "sink").gauge().value()).isZero();
    health.recovered();
    assertThat(meters.get("stage.up").tag("stage", "sink").gauge().value()).isEqualTo(1);
    assertThat(meters.get("stage.faults").tag("stage", "sink").functionCounter().count())
        .isEqualTo(3);
  }
}
