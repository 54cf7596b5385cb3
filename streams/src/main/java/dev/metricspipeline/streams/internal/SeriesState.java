package dev.metricspipeline.streams.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The hot state of one series, one entry in the {@code series-state} store: what every sample of
 * the series reads and writes. Numbers only (the name and labels live in {@code series-meta}, read
 * when a window is emitted), so decoding it on every sample allocates no strings.
 *
 * <ul>
 *   <li>the sample type and the newest sample time and value (the counter baseline for in-order
 *       samples);
 *   <li>the windows of every resolution not yet emitted ({@link Window}; the finest resolution's
 *       also hold their newest samples, the dedup memory, the older ones sealed in chunks);
 *   <li>the emitted windows revised since their last emission ({@code dirty}), emitted again by the
 *       next punctuation;
 *   <li>the push ids seen in the last two dedup intervals (retried-push rule);
 *   <li>the due time under which the series is filed in the {@code series-due} index.
 * </ul>
 *
 * <p>Layout (version 2): plain binary, varints for counts and timestamps. Internal state needs no
 * Schema Registry subject; a new layout gets a new version byte and a reader for the old one.
 * Version 2 added to a finest window its count of sealed chunks ({@link Window#chunks}) and, before
 * its samples, the newest sample's time, so a newer sample is appended to the stored samples
 * without decoding them; version 1 entries, written before, are read as windows without chunks,
 * their samples decoded at once.
 */
final class SeriesState {

  static final byte LAYOUT = 2;

  /**
   * What an entry or window holds before it has any: shared, as an empty array is never written.
   */
  private static final long[] NO_LONGS = new long[0];

  private static final double[] NO_DOUBLES = new double[0];

  /** Given by the task when it first sees the series: names its windows in closed-windows. */
  long number;

  int type;

  /** The newest sample time seen, stale markers included; MIN_VALUE before the first. */
  long lastTs = Long.MIN_VALUE;

  /** Whether {@code lastValue} is a counter baseline (false at first and after a stale marker). */
  boolean hasLast;

  double lastValue;
  long dueAt = Long.MAX_VALUE;

  /** Open windows: resolution index and window. */
  final List<Window> open = new ArrayList<>(4);

  /** Revised emitted windows waiting to be emitted again: resolution index, start. */
  final List<long[]> dirty = new ArrayList<>(0);

  /** Push id digests with their dedup bucket, pairs (bucket, digest). */
  long[] pushIds = NO_LONGS;

  /**
   * Which finest windows hold samples: bit {@code i} stands for the window starting {@code i}
   * finest sizes before {@code anchor}, the newest. It finds a late sample's successor window with
   * one store read, and spares the read for windows that have no sample.
   */
  long anchor = Long.MIN_VALUE;

  long[] held = NO_LONGS;

  /** Marks the finest window at {@code start} as holding a sample; keeps {@code bits} of them. */
  void markHeld(long start, long size, int bits) {
    int words = (bits + 63) / 64;
    if (held.length != words) {
      held = Arrays.copyOf(held, words);
    }
    if (anchor == Long.MIN_VALUE || start > anchor) {
      long shift = anchor == Long.MIN_VALUE ? Long.MAX_VALUE : (start - anchor) / size;
      anchor = start;
      shiftUp(shift);
    }
    long i = (anchor - start) / size;
    if (i < (long) words * 64) {
      held[(int) (i >>> 6)] |= 1L << (i & 63);
    }
  }

  private void shiftUp(long shift) {
    long total = (long) held.length * 64;
    if (shift >= total) {
      Arrays.fill(held, 0);
      return;
    }
    int n = (int) shift;
    for (int bit = (int) total - 1; bit >= 0; bit--) {
      int from = bit - n;
      boolean set = from >= 0 && (held[from >>> 6] & (1L << (from & 63))) != 0;
      if (set) {
        held[bit >>> 6] |= 1L << (bit & 63);
      } else {
        held[bit >>> 6] &= ~(1L << (bit & 63));
      }
    }
  }

  /** Whether the finest window at {@code start} holds a sample (false if beyond the bits). */
  boolean isHeld(long start, long size) {
    if (anchor == Long.MIN_VALUE || start > anchor) {
      return false;
    }
    long i = (anchor - start) / size;
    return i < (long) held.length * 64 && (held[(int) (i >>> 6)] & (1L << (i & 63))) != 0;
  }

  /** The start of the first finest window after {@code start} that holds a sample, or MIN_VALUE. */
  long nextHeld(long start, long size) {
    if (anchor == Long.MIN_VALUE || start >= anchor) {
      return Long.MIN_VALUE;
    }
    long i = Math.min((anchor - start) / size - 1, (long) held.length * 64 - 1);
    for (; i >= 0; i--) {
      if ((held[(int) (i >>> 6)] & (1L << (i & 63))) != 0) {
        return anchor - i * size;
      }
    }
    return Long.MIN_VALUE;
  }

  Window open(int resolution, long start) {
    for (Window w : open) {
      if (w.resolution == resolution && w.start == start) {
        return w;
      }
    }
    return null;
  }

  void markDirty(int resolution, long start) {
    for (long[] d : dirty) {
      if (d[0] == resolution && d[1] == start) {
        return;
      }
    }
    dirty.add(new long[] {resolution, start});
  }

  boolean seenPush(long bucket, long size, long digest) {
    for (int i = 0; i < pushIds.length; i += 2) {
      if (pushIds[i + 1] == digest && (pushIds[i] == bucket || pushIds[i] == bucket - size)) {
        return true;
      }
    }
    return false;
  }

  /** Remembers a push id, forgetting those older than the previous bucket of the newest. */
  void rememberPush(long bucket, long size, long digest) {
    long newest = bucket;
    for (int i = 0; i < pushIds.length; i += 2) {
      newest = Math.max(newest, pushIds[i]);
    }
    long[] kept = new long[pushIds.length + 2];
    int n = 0;
    for (int i = 0; i < pushIds.length; i += 2) {
      if (pushIds[i] >= newest - size) {
        kept[n++] = pushIds[i];
        kept[n++] = pushIds[i + 1];
      }
    }
    kept[n++] = bucket;
    kept[n++] = digest;
    pushIds = Arrays.copyOf(kept, n);
  }

  /** Not stored: the size this entry had when decoded, so encoding it seldom grows its buffer. */
  private int decodedSize;

  byte[] encode() {
    return encode(new Bytes(Math.max(64 + open.size() * 96, decodedSize + 32)));
  }

  /**
   * Encodes into {@code scratch} (emptied first; the caller's, reused from one entry to the next)
   * and returns a copy of exactly the bytes written: the only array made, where {@link #encode()}
   * makes a buffer at a guess and then the copy.
   */
  byte[] encode(Bytes scratch) {
    Bytes out = scratch;
    out.clear();
    out.put(LAYOUT);
    out.varlong(number);
    out.put((byte) type);
    out.put((byte) (hasLast ? 1 : 0));
    out.varlong(lastTs);
    out.putDouble(lastValue);
    out.varlong(dueAt == Long.MAX_VALUE ? -1 : dueAt);
    out.varint(pushIds.length);
    for (long v : pushIds) {
      out.varlong(v);
    }
    out.varlong(anchor);
    out.varint(held.length);
    for (long word : held) {
      out.putLong(word);
    }
    out.varint(dirty.size());
    for (long[] d : dirty) {
      out.varint((int) d[0]);
      out.varlong(d[1]);
    }
    out.varint(open.size());
    for (Window w : open) {
      w.encodeTo(out);
    }
    return out.toArray();
  }

  static SeriesState decode(byte[] bytes) {
    Bytes.Reader in = new Bytes.Reader(bytes);
    int layout = in.get();
    if (layout != LAYOUT && layout != 1) {
      throw new IllegalStateException("unknown series state layout " + layout);
    }
    SeriesState s = new SeriesState();
    s.decodedSize = bytes.length;
    s.number = in.varlong();
    s.type = in.get();
    s.hasLast = in.get() != 0;
    s.lastTs = in.varlong();
    s.lastValue = in.getDouble();
    long due = in.varlong();
    s.dueAt = due == -1 ? Long.MAX_VALUE : due;
    int pushIds = in.varint();
    s.pushIds = pushIds == 0 ? NO_LONGS : new long[pushIds];
    for (int i = 0; i < s.pushIds.length; i++) {
      s.pushIds[i] = in.varlong();
    }
    s.anchor = in.varlong();
    int held = in.varint();
    s.held = held == 0 ? NO_LONGS : new long[held];
    for (int i = 0; i < s.held.length; i++) {
      s.held[i] = in.getLong();
    }
    int dirty = in.varint();
    for (int i = 0; i < dirty; i++) {
      s.dirty.add(new long[] {in.varint(), in.varlong()});
    }
    int open = in.varint();
    for (int i = 0; i < open; i++) {
      s.open.add(Window.decodeFrom(in, layout));
    }
    return s;
  }

  /**
   * The aggregate of one series over one window of one resolution. Windows of the finest resolution
   * also keep their samples (time and value, sorted by time; a NaN value is a stale marker, kept so
   * a step across it is never counted) and the sample just before their first ({@code prev}): that
   * is what places a late sample between its neighbours exactly.
   *
   * <p>A finest window's oldest samples are sealed, {@link #CHUNK} at a time, into chunks of their
   * own ({@code series-chunks}, written once), so the window written back with every sample holds
   * only the newest ones ({@code times}/{@code values}, the tail: at least {@link #KEEP} once
   * anything is sealed, fewer than {@code CHUNK + KEEP}). Every sealed sample is older than the
   * tail's first. The series processor loads the chunks back only for a sample at or before the
   * tail's first, i.e. one out of order by more than the tail, and then works on the whole window
   * as before sealing.
   */
  static final class Window {
    int resolution;
    long start;

    /** Emissions so far; the next emission carries this as its revision. */
    int emitted;

    long count;
    double sum;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double first;
    double last;
    long firstTs = Long.MAX_VALUE;
    long lastTs = Long.MIN_VALUE;
    boolean counter;
    double increase;
    long resets;

    /** Finest resolution only: samples sorted by time, {@code n} of them. */
    boolean keepsSamples;

    /** The samples decoded, read through {@link #time}/{@link #value}: see {@link #raw}. */
    private long[] times = NO_LONGS;

    private double[] values = NO_DOUBLES;
    int n;

    /** The newest sample's time, {@code Long.MIN_VALUE} without samples. */
    private long newest = Long.MIN_VALUE;

    /**
     * The samples as stored ({@code rawLen} bytes from {@code rawFrom}: time deltas and values),
     * until something needs them decoded ({@link #materialize}). A sample newer than all, the usual
     * case, is appended to these bytes, so the hot path neither decodes nor re-encodes the tail.
     */
    private byte[] raw;

    private int rawFrom;
    private int rawLen;
    boolean hasPrev;
    long prevTs;
    double prevValue;

    /** Sealed chunks (numbered from 0, oldest first) holding the samples before the tail. */
    int chunks;

    /** Not stored: the chunks loaded before the tail for this record. */
    int loadedChunks;

    /**
     * Not stored: the lowest index at which a sample was inserted or replaced since the window was
     * decoded or sealed ({@code Integer.MAX_VALUE}: none). Loaded chunks before it are unchanged.
     */
    int firstChanged = Integer.MAX_VALUE;

    /** Samples a sealed chunk holds. */
    static final int CHUNK = 32;

    /** Samples the tail keeps when it seals: out-of-order samples within them need no chunk. */
    static final int KEEP = 16;

    /** Whether a sample at {@code ts} may sit among (or just after) the sealed samples. */
    boolean needsChunks(long ts) {
      return chunks > 0 && (n == 0 || (ts <= newest && ts <= time(0)));
    }

    /** Whether a sample at {@code ts} would be the first of the samples kept here. */
    boolean beforeFirst(long ts) {
      return n == 0 || (ts < newest && ts < time(0));
    }

    /** The time of the {@code i}th sample kept here (the tail's, when chunks are sealed). */
    long time(int i) {
      materialize();
      return times[i];
    }

    double value(int i) {
      materialize();
      return values[i];
    }

    /** Decodes the stored samples into {@code times}/{@code values}, once. */
    private void materialize() {
      if (raw == null) {
        return;
      }
      Bytes.Reader in = new Bytes.Reader(raw, rawFrom);
      times = new long[Math.max(4, n + 1)];
      values = new double[times.length];
      in.readSamples(start, times, values, 0, n);
      raw = null;
    }

    /** Puts the samples of the sealed chunks, read from the store oldest first, before the tail. */
    void unseal(byte[][] stored) {
      materialize();
      int count = 0;
      for (byte[] chunk : stored) {
        int size = chunkHeader(chunk).varint();
        if (size != CHUNK) {
          throw new IllegalStateException("a sample chunk of " + size + " samples, not " + CHUNK);
        }
        count += size;
      }
      long[] t = new long[count + n];
      double[] v = new double[count + n];
      int at = 0;
      for (byte[] chunk : stored) {
        Bytes.Reader in = chunkHeader(chunk);
        int size = in.varint();
        in.readSamples(0, t, v, at, size);
        at += size;
      }
      System.arraycopy(times, 0, t, count, n);
      System.arraycopy(values, 0, v, count, n);
      times = t;
      values = v;
      n += count;
      newest = times[n - 1];
      loadedChunks = chunks;
      chunks = 0;
      if (firstChanged != Integer.MAX_VALUE) {
        firstChanged += count;
      }
    }

    /** Forgets the first {@code count} samples (sealed, or loaded and unchanged). */
    void dropFirst(int count) {
      materialize();
      System.arraycopy(times, count, times, 0, n - count);
      System.arraycopy(values, count, values, 0, n - count);
      n -= count;
      if (n == 0) {
        newest = Long.MIN_VALUE;
      }
    }

    /** The first {@code count} samples as a chunk: count, first time, deltas, values. */
    byte[] encodeChunk(int count) {
      materialize();
      Bytes out = new Bytes(8 + count * 11);
      out.put(LAYOUT);
      out.varint(count);
      out.writeSamples(0, times, values, 0, count);
      return out.toArray();
    }

    private static Bytes.Reader chunkHeader(byte[] bytes) {
      Bytes.Reader in = new Bytes.Reader(bytes);
      int layout = in.get();
      if (layout != LAYOUT) {
        throw new IllegalStateException("unknown sample chunk layout " + layout);
      }
      return in;
    }

    Window(int resolution, long start, boolean counter, boolean keepsSamples) {
      this.resolution = resolution;
      this.start = start;
      this.counter = counter;
      this.keepsSamples = keepsSamples;
    }

    void add(long ts, double value) {
      count++;
      sum += value;
      min = Math.min(min, value);
      max = Math.max(max, value);
      if (ts < firstTs) {
        firstTs = ts;
        first = value;
      }
      if (ts >= lastTs) {
        lastTs = ts;
        last = value;
      }
    }

    /** Index of the sample at {@code ts}, or {@code -(insertion point) - 1}. */
    int find(long ts) {
      materialize();
      return Arrays.binarySearch(times, 0, n, ts);
    }

    boolean hasSample(long ts) {
      return keepsSamples && ts <= newest && find(ts) >= 0;
    }

    /** Whether a kept sample (not a stale marker) lies in {@code [from, to)}. */
    boolean hasSampleIn(long from, long to) {
      if (n == 0 || from > newest) {
        return false;
      }
      int i = find(from);
      if (i < 0) {
        i = -i - 1;
      }
      for (; i < n && times[i] < to; i++) {
        if (!Double.isNaN(values[i])) {
          return true;
        }
      }
      return false;
    }

    void insertSample(long ts, double value) {
      if (raw != null && ts > newest) {
        // Newer than all: append to the stored bytes, no decode.
        Bytes out = new Bytes(rawLen + 18);
        out.putBytes(raw, rawFrom, rawLen);
        out.writeSample(n == 0 ? start : newest, ts, value);
        raw = out.buffer();
        rawFrom = 0;
        rawLen = out.size();
        firstChanged = Math.min(firstChanged, n);
        n++;
        newest = ts;
        return;
      }
      newest = Math.max(newest, ts);
      int i = find(ts);
      if (i >= 0) {
        values[i] = value;
        firstChanged = Math.min(firstChanged, i);
        return;
      }
      i = -i - 1;
      firstChanged = Math.min(firstChanged, i);
      if (n == times.length) {
        int size = Math.max(4, n * 2);
        times = Arrays.copyOf(times, size);
        values = Arrays.copyOf(values, size);
      }
      System.arraycopy(times, i, times, i + 1, n - i);
      System.arraycopy(values, i, values, i + 1, n - i);
      times[i] = ts;
      values[i] = value;
      n++;
    }

    void addStep(double from, double to, int sign) {
      if (Double.isNaN(from) || Double.isNaN(to)) {
        return;
      }
      if (to >= from) {
        increase += sign * (to - from);
      } else {
        increase += sign * to;
        resets += sign;
      }
    }

    void encodeTo(Bytes out) {
      out.varint(resolution);
      out.varlong(start);
      out.varint(emitted);
      out.varlong(count);
      out.putDouble(sum);
      out.putDouble(min);
      out.putDouble(max);
      out.putDouble(first);
      out.putDouble(last);
      out.varlong(firstTs - start);
      out.varlong(lastTs - start);
      out.put((byte) ((counter ? 1 : 0) | (keepsSamples ? 2 : 0) | (hasPrev ? 4 : 0)));
      if (counter) {
        out.putDouble(increase);
        out.varlong(resets);
      }
      if (keepsSamples) {
        out.varint(n);
        if (n > 0) {
          out.varlong(newest - start);
        }
        if (raw != null) {
          out.putBytes(raw, rawFrom, rawLen);
        } else {
          out.writeSamples(start, times, values, 0, n);
        }
        if (hasPrev) {
          out.varlong(start - prevTs);
          out.putDouble(prevValue);
        }
        out.varint(chunks);
      }
    }

    static Window decodeFrom(Bytes.Reader in, int layout) {
      int resolution = in.varint();
      long start = in.varlong();
      int emitted = in.varint();
      long count = in.varlong();
      double sum = in.getDouble();
      double min = in.getDouble();
      double max = in.getDouble();
      double first = in.getDouble();
      double last = in.getDouble();
      long firstTs = start + in.varlong();
      long lastTs = start + in.varlong();
      int flags = in.get();
      Window w = new Window(resolution, start, (flags & 1) != 0, (flags & 2) != 0);
      w.emitted = emitted;
      w.count = count;
      w.sum = sum;
      w.min = min;
      w.max = max;
      w.first = first;
      w.last = last;
      w.firstTs = firstTs;
      w.lastTs = lastTs;
      if (w.counter) {
        w.increase = in.getDouble();
        w.resets = in.varlong();
      }
      if (w.keepsSamples) {
        w.n = in.varint();
        if (layout >= 2) {
          // The samples stay encoded until needed: note where they are and skip them.
          w.newest = w.n > 0 ? start + in.varlong() : Long.MIN_VALUE;
          w.raw = in.buffer();
          w.rawFrom = in.position();
          in.skipSamples(w.n);
          w.rawLen = in.position() - w.rawFrom;
        } else {
          w.times = new long[w.n];
          w.values = new double[w.n];
          in.readSamples(start, w.times, w.values, 0, w.n);
          w.newest = w.n > 0 ? w.times[w.n - 1] : Long.MIN_VALUE;
        }
        w.hasPrev = (flags & 4) != 0;
        if (w.hasPrev) {
          w.prevTs = start - in.varlong();
          w.prevValue = in.getDouble();
        }
        w.chunks = layout >= 2 ? in.varint() : 0;
      }
      return w;
    }

    byte[] encode() {
      Bytes out = new Bytes(96 + n * 10);
      out.put(LAYOUT);
      encodeTo(out);
      return out.toArray();
    }

    static Window decode(byte[] bytes) {
      Bytes.Reader in = new Bytes.Reader(bytes);
      int layout = in.get();
      if (layout != LAYOUT && layout != 1) {
        throw new IllegalStateException("unknown window state layout " + layout);
      }
      return decodeFrom(in, layout);
    }
  }

  /** A growable byte array with zig-zag varints and little-endian doubles. */
  static final class Bytes {
    /** Eight bytes at any offset as one little-endian long. */
    private static final VarHandle LONGS =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] buf;
    private int size;

    Bytes(int capacity) {
      buf = new byte[capacity];
    }

    /** Forgets what was written; keeps the array. */
    void clear() {
      size = 0;
    }

    /** The length of the array written into, whatever {@link #size()} is. */
    int capacity() {
      return buf.length;
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    void put(byte b) {
      ensure(1);
      buf[size++] = b;
    }

    void varint(int v) {
      varlong(v);
    }

    void varlong(long v) {
      ensure(10);
      long z = (v << 1) ^ (v >> 63);
      while ((z & ~0x7FL) != 0) {
        buf[size++] = (byte) ((z & 0x7F) | 0x80);
        z >>>= 7;
      }
      buf[size++] = (byte) z;
    }

    void putDouble(double d) {
      putLong(Double.doubleToRawLongBits(d));
    }

    void putLong(long bits) {
      ensure(8);
      LONGS.set(buf, size, bits);
      size += 8;
    }

    /**
     * Writes {@code count} samples from index {@code from}: each a varint time delta from the
     * previous sample (the first from {@code base}) and the value as 8 bytes. The sample chain's
     * encoding, with {@link #writeSample} for one; {@link Reader#readSamples} reads it back.
     */
    void writeSamples(long base, long[] times, double[] values, int from, int count) {
      long previous = base;
      for (int i = from; i < from + count; i++) {
        writeSample(previous, times[i], values[i]);
        previous = times[i];
      }
    }

    /** Writes one sample of the chain: its time as a delta from {@code previous}, its value. */
    void writeSample(long previous, long ts, double value) {
      varlong(ts - previous);
      putDouble(value);
    }

    void putBytes(byte[] from, int offset, int length) {
      ensure(length);
      System.arraycopy(from, offset, buf, size, length);
      size += length;
    }

    /** The bytes written so far are the first {@link #size()} of it (not a copy). */
    byte[] buffer() {
      return buf;
    }

    int size() {
      return size;
    }

    byte[] toArray() {
      return Arrays.copyOf(buf, size);
    }

    static final class Reader {
      private final byte[] buf;
      private int pos;

      Reader(byte[] buf) {
        this.buf = buf;
      }

      Reader(byte[] buf, int pos) {
        this.buf = buf;
        this.pos = pos;
      }

      byte[] buffer() {
        return buf;
      }

      int position() {
        return pos;
      }

      /**
       * Reads {@code count} samples written by {@link Bytes#writeSamples} with the same {@code
       * base} into {@code times}/{@code values} from index {@code at}.
       */
      void readSamples(long base, long[] times, double[] values, int at, int count) {
        long previous = base;
        for (int i = at; i < at + count; i++) {
          previous += varlong();
          times[i] = previous;
          values[i] = getDouble();
        }
      }

      /** Skips {@code count} samples: a varint time delta and an 8-byte value each. */
      void skipSamples(int count) {
        for (int i = 0; i < count; i++) {
          while ((buf[pos++] & 0x80) != 0) {
            // the varint's continuation bytes
          }
          pos += 8;
        }
      }

      byte get() {
        return buf[pos++];
      }

      int varint() {
        return (int) varlong();
      }

      long varlong() {
        long z = 0;
        int shift = 0;
        while (true) {
          byte b = buf[pos++];
          z |= (long) (b & 0x7F) << shift;
          if ((b & 0x80) == 0) {
            break;
          }
          shift += 7;
        }
        return (z >>> 1) ^ -(z & 1);
      }

      double getDouble() {
        return Double.longBitsToDouble(getLong());
      }

      long getLong() {
        long bits = (long) LONGS.get(buf, pos);
        pos += 8;
        return bits;
      }
    }
  }
}
