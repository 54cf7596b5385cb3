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
    assertThat(v.n).isEqualTo(2);
    assertThat(v.time(0)).isEqualTo(T0 + 1_000);
    assertThat(v.time(1)).isEqualTo(T0 + 59_000);
    assertThat(v.value(1)).isNaN();
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
      assertThat(back.time(i)).isEqualTo(T0 + i * 1_000L);
    }
    assertThat(back.value(7)).isNaN();
    assertThat(back.value(49)).isEqualTo(49);
  }

  @Test
  void aDecodedWindowTakesNewerSamplesWithoutDecodingItsOwnAndOlderOnesInPlace() {
    Window w = new Window(0, T0, false, true);
    w.insertSample(T0 + 10_000, 1);
    w.insertSample(T0 + 20_000, Double.NaN);
    Window back = Window.decode(w.encode());
    assertThat(back.hasSample(T0 + 30_000)).as("newer than all: no decode needed").isFalse();
    back.insertSample(T0 + 30_000, 3); // appended to the stored bytes
    back.insertSample(T0 + 40_000, 4);
    Window again = Window.decode(back.encode());
    again.insertSample(T0 + 5_000, 0.5); // older than all: decoded, inserted first
    again.insertSample(T0 + 20_000, 2); // replaces the stale marker
    assertThat(again.beforeFirst(T0 + 1_000)).isTrue();
    Window last = Window.decode(again.encode());
    assertThat(last.n).isEqualTo(5);
    long[] times = new long[5];
    double[] values = new double[5];
    for (int i = 0; i < 5; i++) {
      times[i] = last.time(i);
      values[i] = last.value(i);
    }
    assertThat(times)
        .containsExactly(T0 + 5_000, T0 + 10_000, T0 + 20_000, T0 + 30_000, T0 + 40_000);
    assertThat(values).containsExactly(0.5, 1, 2, 3, 4);
    assertThat(last.hasSample(T0 + 30_000)).isTrue();
    assertThat(last.hasSample(T0 + 41_000)).isFalse();
    assertThat(last.beforeFirst(T0 + 5_000)).isFalse();
  }

  @Test
  void aLayoutOneEntryIsReadAsWindowsWithoutChunks() {
    SeriesState s = new SeriesState();
    s.hasLast = true;
    s.lastTs = T0 + 3_000;
    byte[] header = s.encode(); // no open window: ends with their count, a varint 0
    // Layout 1: the same header, then one finest counter window as it wrote them: no newest
    // sample time before the samples, no chunk count after them.
    SeriesState.Bytes one = new SeriesState.Bytes(128);
    one.put((byte) 1);
    one.putBytes(header, 1, header.length - 2);
    one.varint(1); // one open window
    one.varint(0); // resolution
    one.varlong(T0);
    one.varint(0); // emitted
    one.varlong(2); // count
    for (double d : new double[] {11, 5, 6, 5, 6}) { // sum, min, max, first, last
      one.putDouble(d);
    }
    one.varlong(2_000); // first and last times, from the start
    one.varlong(3_000);
    one.put((byte) 3); // counter, keeps samples, no prev
    one.putDouble(1); // increase
    one.varlong(0); // resets
    one.varint(2); // samples: time deltas and values
    one.varlong(2_000);
    one.putDouble(5);
    one.varlong(1_000);
    one.putDouble(6);
    SeriesState back = SeriesState.decode(one.toArray());
    assertThat(back.lastTs).isEqualTo(T0 + 3_000);
    Window v = back.open(0, T0);
    assertThat(v.chunks).isZero();
    assertThat(v.increase).isEqualTo(1);
    assertThat(v.n).isEqualTo(2);
    assertThat(v.time(0)).isEqualTo(T0 + 2_000);
    assertThat(v.value(1)).isEqualTo(6);
    assertThat(v.hasSample(T0 + 3_000)).isTrue();
    assertThat(v.beforeFirst(T0 + 2_500)).isFalse();
    SeriesState rewritten = SeriesState.decode(back.encode());
    assertThat(rewritten.open(0, T0).time(1)).isEqualTo(T0 + 3_000);
  }

  @Test
  void anUnknownLayoutIsRefusedByName() {
    byte[] bytes = new SeriesState().encode();
    bytes[0] = 9;
    assertThatThrownBy(() -> SeriesState.decode(bytes)).hasMessageContaining("layout 9");
  }

  @Test
  void anEntryEncodedInAReusedScratchIsTheSameBytesAndNothingOfTheLastOne() {
    SeriesState large = new SeriesState();
    large.lastTs = T0;
    for (int r = 0; r < 3; r++) {
      Window w = new Window(r, T0, true, r == 0);
      for (int i = 0; i < 40; i++) {
        w.add(T0 + i * 1_000, i);
        w.insertSample(T0 + i * 1_000, i);
      }
      large.open.add(w);
    }
    SeriesState small = new SeriesState();
    small.rememberPush(T0, 15_000, 5L);
    SeriesState.Bytes scratch = new SeriesState.Bytes(8);

    byte[] first = large.encode(scratch);
    byte[] second = small.encode(scratch);

    assertThat(first).isEqualTo(large.encode());
    assertThat(second).isEqualTo(small.encode());
    assertThat(scratch.capacity()).isGreaterThan(second.length);
    assertThat(SeriesState.decode(second).seenPush(T0, 15_000, 5L)).isTrue();
    assertThat(SeriesState.decode(first).open(2, T0).count).isEqualTo(40);
  }
}
