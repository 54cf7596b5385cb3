package dev.metricspipeline.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UTC clock a test moves by hand ({@link #advance}); or, made {@link #ticking}, one that also
 * moves on every reading, so code that reads the clock twice where it should read it once shows.
 * Thread-safe.
 */
public final class TestClock extends Clock {
  private final AtomicLong millis;
  private final long tickMs;

  private TestClock(long startMs, long tickMs) {
    this.millis = new AtomicLong(startMs);
    this.tickMs = tickMs;
  }

  /** A clock standing at {@code start} until advanced. */
  public static TestClock at(Instant start) {
    return new TestClock(start.toEpochMilli(), 0);
  }

  /** A clock at {@code start} that moves {@code tick} after every reading. */
  public static TestClock ticking(Instant start, Duration tick) {
    return new TestClock(start.toEpochMilli(), tick.toMillis());
  }

  /** Moves the clock forward. */
  public void advance(Duration by) {
    millis.addAndGet(by.toMillis());
  }

  @Override
  public long millis() {
    return millis.getAndAdd(tickMs);
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
