package dev.metricspipeline.pull.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** When a target is first scraped: a fixed phase within the interval, whenever the loop starts. */
class ScrapeLoopScheduleTest {

  private static final long INTERVAL = 15_000;

  @Test
  void theFirstScrapeFallsOnTheTargetsPhaseWhenEverTheLoopStarts() {
    String key = "node|http://host:9100/metrics|{instance=host:9100, job=node}";
    long t0 = 1_764_000_000_000L;
    long phase = Math.floorMod(t0 + ScrapeLoop.firstDelayMs(key, INTERVAL, t0), INTERVAL);
    for (long now = t0; now < t0 + 3 * INTERVAL; now += 1_234) {
      long delay = ScrapeLoop.firstDelayMs(key, INTERVAL, now);
      assertThat(delay).isBetween(1L, INTERVAL);
      assertThat(Math.floorMod(now + delay, INTERVAL)).as("at %d", now).isIn(phase, phase + 1);
    }
  }

  @Test
  void targetsSpreadOverTheInterval() {
    Set<Long> seconds = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      long delay =
          ScrapeLoop.firstDelayMs("job|http://host-" + i + ":9100/metrics|{}", INTERVAL, 0);
      seconds.add(delay / 1000);
    }
    assertThat(seconds).as("which second of the 15 the 200 targets start in").hasSize(15);
  }
}
