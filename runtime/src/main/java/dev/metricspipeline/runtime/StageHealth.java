package dev.metricspipeline.runtime;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether a stage's background work is going on: a stream thread, a reader loop, a sink loop. A
 * stage reports each fault that is not about one record ({@link #fault}); after more than {@code
 * maxFaults} faults in a row, each less than {@code quietPeriod} after the one before, the stage is
 * <em>failed</em>: {@code /-/ready} answers 503 and {@code run}'s status line names it. A fault
 * older than {@code quietPeriod}, or {@link #recovered()}, ends the streak.
 *
 * <p>Published as {@code stage_up{stage}} (1 healthy, 0 failed) and {@code
 * stage_faults_total{stage}}. Thread-safe.
 */
public final class StageHealth {

  private final String stage;
  private final int maxFaults;
  private final Duration quietPeriod;
  private final Clock clock;
  private final AtomicLong faults = new AtomicLong();
  private int streak;
  private long lastFaultMs;
  private String lastFault;

  /**
   * @param stage the name shown in readiness answers and the status line, e.g. {@code streams}
   * @param maxFaults faults in a row tolerated before the stage counts as failed
   * @param quietPeriod how long without a fault ends a streak
   */
  public StageHealth(String stage, int maxFaults, Duration quietPeriod, Clock clock) {
    this.stage = Objects.requireNonNull(stage, "stage");
    if (maxFaults < 0) {
      throw new IllegalArgumentException("maxFaults must not be negative, got " + maxFaults);
    }
    this.maxFaults = maxFaults;
    this.quietPeriod = Objects.requireNonNull(quietPeriod, "quietPeriod");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Five faults in a row tolerated, a streak ending after two quiet minutes. */
  public static StageHealth of(String stage) {
    return new StageHealth(stage, 5, Duration.ofMinutes(2), Clock.systemUTC());
  }

  public String stage() {
    return stage;
  }

  /**
   * Records a fault.
   *
   * @param what what failed, for {@link #failure()}
   * @return the number of faults in the current streak, this one included
   */
  public synchronized int fault(String what) {
    long now = clock.millis();
    if (streak > 0 && now - lastFaultMs > quietPeriod.toMillis()) {
      streak = 0;
    }
    streak++;
    lastFaultMs = now;
    lastFault = what;
    faults.incrementAndGet();
    return streak;
  }

  /** The stage works again (e.g. it processed records after its faults). */
  public synchronized void recovered() {
    streak = 0;
  }

  /** Why the stage is failed, or empty while it is healthy. */
  public synchronized Optional<String> failure() {
    if (streak > maxFaults && clock.millis() - lastFaultMs <= quietPeriod.toMillis()) {
      return Optional.of(stage + " failed " + streak + " times in a row, last: " + lastFault);
    }
    return Optional.empty();
  }

  public boolean healthy() {
    return failure().isEmpty();
  }

  /** Every fault so far. */
  public long faults() {
    return faults.get();
  }

  /**
   * The stages published in a registry whose {@code stage_up} is 0, in registry order: under {@code
   * run} every stage shares one registry, so this is the process's readiness.
   */
  public static List<String> failedStages(MeterRegistry meters) {
    List<String> failed = new ArrayList<>();
    for (Meter m : meters.find("stage.up").meters()) {
      if (m instanceof Gauge g && g.value() == 0) {
        failed.add(m.getId().getTag("stage"));
      }
    }
    return failed;
  }

  /** Publishes {@code stage_up} and {@code stage_faults_total}, tagged with the stage. */
  public StageHealth bindTo(MeterRegistry meters) {
    Gauge.builder("stage.up", this, h -> h.healthy() ? 1 : 0)
        .tag("stage", stage)
        .description("1 while the stage works, 0 once its faults exceeded the bound")
        .register(meters);
    FunctionCounter.builder("stage.faults", this, StageHealth::faults)
        .tag("stage", stage)
        .description("Faults of the stage that were not about one record (it retried them)")
        .register(meters);
    return this;
  }
}
