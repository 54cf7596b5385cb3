package dev.metricspipeline.formats;

import dev.metricspipeline.formats.internal.FrozenLabels;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A parse cache for remote_write 1.0 bodies: what a series' labels, exactly as a sender encoded
 * them (the bytes of its {@code Label} fields), parsed and validated to. Given to {@link
 * RemoteWriteParser#RemoteWriteParser(long, RemoteWriteSeriesCache)}, a series whose label bytes
 * are in it gets the very same name and label set without its strings being decoded, checked,
 * sorted or copied again: a Prometheus sends the same series in every request, each encoded the
 * same way. Samples are identical with or without it.
 *
 * <p>Bounded: it holds at most {@code maxSeries} series in two generations. A series is kept the
 * second time its label bytes are parsed (a Bloom filter sized to the bound remembers the first),
 * so a sender whose series all change fills neither the cache nor the heap's old generation. Kept
 * series go into the current generation; when that holds half the bound it becomes the previous one
 * and the one before is dropped; a series found only in the previous generation is moved into the
 * current one. So the series sent in every request stay. Thread-safe; parses may overlap (two may
 * both parse a new series, and either result is kept: they are equal).
 */
public final class RemoteWriteSeriesCache {

  /**
   * The bound the push gateway uses: 50,000 series. Measured with ten short labels per series, one
   * sample type, after two passes (heap after full GCs, 2026-12-02): 2.33 kB per series with its
   * encoding (1.72 kB without), so about 117 MB when full.
   */
  public static final int DEFAULT_MAX_SERIES = 50_000;

  private final int generationSize;
  private final SeriesKey ids;

  /**
   * The label bytes seen once and not kept (TinyLFU's doorkeeper): a Bloom filter of two bits per
   * key, at least 16 bits per series held, cleared once it has taken a key per eight bits (so at
   * most about 5% of the series seen once pass for seen twice). A table of one mark per slot, as
   * this was, never kept two series whose hashes shared a slot (each overwrote the other's mark):
   * with 50,000 series sent in turn, over half of them.
   */
  private final long[] seen;

  private final int seenShift;
  private final int clearAfter;
  private final AtomicInteger marked = new AtomicInteger();

  private volatile ConcurrentHashMap<Key, Series> current = new ConcurrentHashMap<>();
  private volatile ConcurrentHashMap<Key, Series> previous = new ConcurrentHashMap<>();

  /**
   * A cache that keeps what series parse to, not their encodings.
   *
   * @param maxSeries the most series held (at least 2)
   */
  public RemoteWriteSeriesCache(int maxSeries) {
    this(maxSeries, null);
  }

  /**
   * A cache that also keeps each kept series' encoding for the samples topic, its id made by {@code
   * ids} (the publisher's {@link dev.metricspipeline.schemas.MetricsPublisher#seriesKey()}): {@link
   * RemoteWriteParser.Typed#series()} hands them out, so a series sent again costs neither its id
   * nor the encoding of its strings.
   *
   * @param maxSeries the most series held (at least 2)
   * @param ids the series key of the publisher the samples go to, or null to keep no encodings
   */
  public RemoteWriteSeriesCache(int maxSeries, SeriesKey ids) {
    if (maxSeries < 2) {
      throw new IllegalArgumentException("maxSeries must be at least 2, got " + maxSeries);
    }
    this.generationSize = maxSeries / 2;
    this.ids = ids;
    int wanted = (int) Math.min(1 << 30, Math.max(1 << 16, 16L * maxSeries));
    int bits = 1 << (32 - Integer.numberOfLeadingZeros(wanted - 1)); // the power of two >= wanted
    this.seen = new long[bits >>> 6];
    this.seenShift = Integer.numberOfLeadingZeros(bits) + 1; // 32 - log2(bits)
    this.clearAfter = bits >>> 3;
  }

  /** The series key encodings are made with, or null when none are kept. */
  SeriesKey ids() {
    return ids;
  }

  /** The series held now, in both generations (a series in both counts twice). */
  public int size() {
    return current.size() + previous.size();
  }

  /** The label fields {@code bytes[from, to)} as a key to look up (not copied). */
  static Key key(byte[] bytes, int from, int to) {
    return new Key(bytes, from, to);
  }

  /** The series whose label fields are {@code key}'s bytes, or null. */
  Series get(Key key) {
    Series found = current.get(key);
    if (found == null) {
      found = previous.get(key);
      if (found != null) {
        insert(key.copy(), found);
      }
    }
    return found;
  }

  /**
   * Remembers {@code series} for {@code key}'s bytes (copied), if these bytes were asked for
   * before: a series sent once (every request of a sender whose series all change) is not kept.
   */
  void put(Key key, Series series) {
    int first = (key.hash * 0x9E3779B9) >>> seenShift;
    int second = (Integer.rotateLeft(key.hash, 16) * 0x85EBCA6B) >>> seenShift;
    long[] bits = seen;
    if ((bits[first >>> 6] & (1L << first)) != 0 && (bits[second >>> 6] & (1L << second)) != 0) {
      insert(key.copy(), series);
      return;
    }
    // Not atomic: a race may lose a bit, and that series is kept a request later.
    bits[first >>> 6] |= 1L << first;
    bits[second >>> 6] |= 1L << second;
    if (marked.incrementAndGet() >= clearAfter) {
      Arrays.fill(bits, 0L);
      marked.set(0);
    }
  }

  private void insert(Key key, Series series) {
    ConcurrentHashMap<Key, Series> now = current;
    if (now.size() >= generationSize) {
      synchronized (this) {
        if (current == now) {
          previous = now;
          current = new ConcurrentHashMap<>(generationSize);
        }
        now = current;
      }
    }
    series.kept = true;
    now.put(key, series);
  }

  /**
   * A series as remote_write gave it: its name and its other labels, validated, sorted and frozen;
   * with the labels a bound-carrying type (histogram bucket, summary quantile) rewrites, and the
   * series' encoding for the samples topic, kept from the last time they were asked for.
   */
  static final class Series {

    final String name;
    final FrozenLabels labels;

    /** Set once the series is in the cache: only then is it worth encoding. */
    private volatile boolean kept;

    private volatile ForType forType;

    Series(String name, Map<String, String> labels) {
      this.name = name;
      this.labels = FrozenLabels.of(labels);
    }

    /** Whether the cache holds this series (so later requests will get this very object). */
    boolean kept() {
      return kept;
    }

    /** The labels a sample of this series has when of {@code type}: {@code le} etc. rewritten. */
    FrozenLabels labelsFor(SampleType type) {
      String bound = TextFormatParser.boundLabel(type);
      if (bound == null || !labels.containsKey(bound)) {
        return labels;
      }
      return forType(type).labels;
    }

    /**
     * This series' encoding for samples of {@code type}, under the id {@code ids} makes of its name
     * and {@link #labelsFor labels}: samples made of {@link #name} and {@code labelsFor(type)} are
     * {@link EncodedSeries#describes described} by it.
     */
    EncodedSeries encodedFor(SampleType type, SeriesKey ids) {
      ForType t = forType(type);
      if (t.encoded == null || t.ids != ids) {
        EncodedSeries encoded = EncodedSeries.of(name, t.labels, ids.idOf(name, t.labels));
        t = new ForType(type, t.labels, ids, encoded);
        forType = t; // a race keeps either of two equal encodings
      }
      return t.encoded;
    }

    private ForType forType(SampleType type) {
      ForType t = forType;
      if (t == null || t.type != type) {
        FrozenLabels typed = labels;
        String bound = TextFormatParser.boundLabel(type);
        if (bound != null && labels.containsKey(bound)) {
          TreeMap<String, String> copy = new TreeMap<>(labels);
          TextFormatParser.normalizeBound(copy, type);
          typed = FrozenLabels.of(copy);
        }
        t = new ForType(type, typed, null, null);
        forType = t;
      }
      return t;
    }

    /** The labels and (once asked for) the encoding of this series' samples of one type. */
    private record ForType(
        SampleType type, FrozenLabels labels, SeriesKey ids, EncodedSeries encoded) {}
  }

  /** A range of bytes, compared and hashed by content. */
  static final class Key {
    private static final VarHandle LONGS =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;

    private final byte[] bytes;
    private final int from;
    private final int to;
    private final int hash;

    Key(byte[] bytes, int from, int to) {
      this.bytes = bytes;
      this.from = from;
      this.to = to;
      this.hash = hash(bytes, from, to);
    }

    /**
     * A hash of {@code bytes[from, to)} read eight bytes at a time into two independent lanes (each
     * a multiply, a rotate and a multiply per word, as in xxHash's rounds), the tail byte by byte,
     * then mixed down to 32 bits. A byte at a time ({@code 31 * h + b}, as {@code Arrays.hashCode})
     * is one long chain of dependent steps per byte: it was a quarter of the gateway workers' time
     * under steady remote_write. Both the maps and the Bloom filter use all 32 bits.
     */
    static int hash(byte[] bytes, int from, int to) {
      long a = 0x9E3779B97F4A7C15L;
      long b = 0xC2B2AE3D27D4EB4FL ^ (to - from);
      int i = from;
      for (; i + 16 <= to; i += 16) {
        a = Long.rotateLeft(a + (long) LONGS.get(bytes, i) * P2, 31) * P1;
        b = Long.rotateLeft(b + (long) LONGS.get(bytes, i + 8) * P2, 31) * P1;
      }
      if (i + 8 <= to) {
        a = Long.rotateLeft(a + (long) LONGS.get(bytes, i) * P2, 31) * P1;
        i += 8;
      }
      for (; i < to; i++) {
        b = Long.rotateLeft(b ^ (bytes[i] & 0xFFL) * P1, 11) * P2;
      }
      long h = a ^ Long.rotateLeft(b, 27);
      h ^= h >>> 33;
      h *= 0xFF51AFD7ED558CCDL;
      h ^= h >>> 33;
      return (int) (h ^ (h >>> 32));
    }

    private Key(byte[] bytes, int hash) {
      this.bytes = bytes;
      this.from = 0;
      this.to = bytes.length;
      this.hash = hash;
    }

    /** A key holding its own copy of the bytes, for the map. */
    Key copy() {
      return new Key(Arrays.copyOfRange(bytes, from, to), hash);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && k.hash == hash
          && Arrays.equals(bytes, from, to, k.bytes, k.from, k.to);
    }
  }
}
