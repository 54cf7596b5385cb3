package dev.metricspipeline.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.streams.internal.SeriesState.Window;
import org.junit.jupiter.api.Test;

class SeriesStateTest {

  private static final long MINUTE = 60_000;
  private static final long T0 = 1_767_225_600_000L;

  @Test
  void theHotEntryAndAClosedWindowSurviveEncodingWhole() {
    SeriesState s = new SeriesState();
    s.type = 3;
    s.hasLast = true;
    s.lastTs = T0 + 59_000;
    s.lastValue = 42.5;
    s.dueAt = T0 + 90_000;
    s.rememberPush(T0, 15_000, 77L);
    s.markDirty(1, T0 - 5 * MINUTE);
    s.markHeld(T0, MINUTE, 123);
    Window w = new Window(0, T0, true, true);
    w.add(T0 + 1_000, 10);
    w.insertSample(T0 + 1_000, 10);
    // A stale marker is kept among the samples as is (not added to the aggregate).
    w.insertSample(T0 + 59_000, Double.NaN);
    w.addStep(3, 10, 1);
    w.hasPrev = true;
    w.prevTs = T0 - 15_000;
    w.prevValue = 3;
    w.emitted = 2;
    s.open.add(w);

    SeriesState back = SeriesState.decode(s.encode());
    assertThat(back.type).isEqualTo(3);
    assertThat(back.hasLast).isTrue();
    assertThat(back.lastTs).isEqualTo(T0 + 59_000);
    assertThat(back.lastValue).isEqualTo(42.5);
    assertThat(back.dueAt).isEqualTo(T0 + 90_000);
    assertThat(back.seenPush(T0 + 15_000, 15_000, 77L)).isTrue();
    assertThat(back.dirty)
        .singleElement()
        .satisfies(d -> assertThat(d).containsExactly(1, T0 - 5 * MINUTE));
    assertThat(back.isHeld(T0, MINUTE)).isTrue();
    Window v = back.open(0, T0);
    assertThat(v.times).startsWith(T0 + 1_000, T0 + 59_000);
    assertThat(v.n).isEqualTo(2);
    assertThat(v.values[1]).isNaN();
    assertThat(v.increase).isEqualTo(7);
    assertThat(v.prevTs).isEqualTo(T0 - 15_000);
    assertThat(v.emitted).isEqualTo(2);
    assertThat(Window.decode(w.encode()).lastTs).isEqualTo(T0 + 1_000);
  }

  @Test
  void aNewSeriesHasNoBaselineAndNoDueTime() {
    SeriesState back = SeriesState.decode(new SeriesState().encode());
    assertThat(back.lastTs).isEqualTo(Long.MIN_VALUE);
    assertThat(back.dueAt).isEqualTo(Long.MAX_VALUE);
    assertThat(back.nextHeld(T0, MINUTE)).isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void heldWindowsFollowTheNewestAndFindTheNextOneAfterAGap() {
    SeriesState s = new SeriesState();
    s.markHeld(T0, MINUTE, 10);
    s.markHeld(T0 + 3 * MINUTE, MINUTE, 10);
    s.markHeld(T0 + MINUTE, MINUTE, 10); // late
    assertThat(s.nextHeld(T0, MINUTE)).isEqualTo(T0 + MINUTE);
    assertThat(s.nextHeld(T0 + MINUTE, MINUTE)).isEqualTo(T0 + 3 * MINUTE);
    assertThat(s.nextHeld(T0 + 3 * MINUTE, MINUTE)).isEqualTo(Long.MIN_VALUE);
    assertThat(s.isHeld(T0 + 2 * MINUTE, MINUTE)).isFalse();
    // Ten bits asked for, a whole word of 64 kept: T0 falls off, T0 + 3 min is the oldest left.
    s.markHeld(T0 + 66 * MINUTE, MINUTE, 10);
    assertThat(s.isHeld(T0, MINUTE)).isFalse();
    assertThat(s.isHeld(T0 + 3 * MINUTE, MINUTE)).isTrue();
    assertThat(s.nextHeld(T0 + 3 * MINUTE, MINUTE)).isEqualTo(T0 + 66 * MINUTE);
    s.markHeld(T0 + 200 * MINUTE, MINUTE, 10);
    assertThat(s.isHeld(T0 + 66 * MINUTE, MINUTE)).isFalse();
  }

  @Test
  void sealedSamplesComeBackBeforeTheTailInOrder() {
    Window w = new Window(0, T0, false, true);
    for (int i = 0; i < 50; i++) {
      w.insertSample(T0 + i * 1_000L, i == 7 ? Double.NaN : i);
    }
    byte[] chunk = w.encodeChunk(Window.CHUNK);
    w.dropFirst(Window.CHUNK);
    w.chunks = 1;
    Window back = Window.decode(w.encode());
    assertThat(back.chunks).isEqualTo(1);
    assertThat(back.n).isEqualTo(50 - Window.CHUNK);
    assertThat(back.needsChunks(T0 + 40_000)).isFalse();
    assertThat(back.needsChunks(T0 + Window.CHUNK * 1_000L)).as("the tail's first").isTrue();

    back.unseal(new byte[][] {chunk});
    assertThat(back.n).isEqualTo(50);
    assertThat(back.chunks).isZero();
    assertThat(back.loadedChunks).isEqualTo(1);
    for (int i = 0; i < 50; i++) {
      assertThat(back.times[i]).isEqualTo(T0 + i * 1_000L);
    }
    assertThat(back.values[7]).isNaN();
    assertThat(back.values[49]).isEqualTo(49);
  }

  @Test
  void aLayoutOneEntryIsReadAsWindowsWithoutChunks() {
    SeriesState s = new SeriesState();
    s.hasLast = true;
    s.lastTs = T0 + 2_000;
    Window w = new Window(0, T0, true, true);
    w.add(T0 + 2_000, 5);
    w.insertSample(T0 + 2_000, 5);
    s.open.add(w);
    byte[] two = s.encode();
    // Layout 1 is layout 2 without the chunk count closing each finest window (here the last
    // byte, a varint 0).
    byte[] one = java.util.Arrays.copyOf(two, two.length - 1);
    one[0] = 1;
    SeriesState back = SeriesState.decode(one);
    Window v = back.open(0, T0);
    assertThat(v.chunks).isZero();
    assertThat(v.n).isEqualTo(1);
    assertThat(v.times[0]).isEqualTo(T0 + 2_000);
    assertThat(back.encode()).isEqualTo(two);
  }

  @Test
  void anUnknownLayoutIsRefusedByName() {
    byte[] bytes = new SeriesState().encode();
    bytes[0] = 9;
    assertThatThrownBy(() -> SeriesState.decode(bytes)).hasMessageContaining("layout 9");
  }
}
