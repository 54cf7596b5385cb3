package dev.metricspipeline.streams.internal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The series state entries a task keeps decoded on the heap, least recently used first, at most
 * {@code capacity} of them: a series' next sample skips the store get and {@link
 * SeriesState#decode}.
 *
 * <p>An entry not kept is admitted on its series' second sighting, not its first: a series seen
 * once among the last {@code 2 × capacity} series not kept is only remembered, by one bit of its
 * hash. Where the series outnumber the entries many times over (1,000,000 series against 4,096
 * entries a task), every sample would otherwise put an entry that is evicted unread, and pay the
 * eviction of another: 7–8% of the stream thread in {@code StreamsLoad 1000000 5 6}. A series that
 * comes back within the window is kept from its second sample on, as before. A false positive (two
 * series on one bit) only admits an entry early.
 *
 * <p>Not thread-safe: one per task, used from its stream thread.
 */
final class HotEntries {

  private final int capacity;
  private final Map<String, SeriesState> entries;

  /** One bit per hash: series seen since the last reset and not kept. */
  private final long[] seen;

  private final int mask;
  private final int resetAfter;
  private int sightings;

  HotEntries(int capacity) {
    this.capacity = capacity;
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, SeriesState> eldest) {
            return size() > capacity;
          }
        };
    // 8 to 16 bits per entry, 4 to 8 per sighting remembered: at most a quarter set at a reset.
    int bits = Integer.highestOneBit((int) Math.max(64, Math.min(1 << 26, capacity * 16L)));
    this.seen = new long[bits / 64];
    this.mask = bits - 1;
    // Past 2^22 entries the bits are capped (8 MB) and fill up: entries are then admitted early.
    this.resetAfter = (int) Math.max(1, Math.min(Integer.MAX_VALUE, capacity * 2L));
  }

  /** The series' entry, or null if none is kept. */
  SeriesState get(String series) {
    return entries.get(series);
  }

  /**
   * The entry as just written to the store (or read from it, unchanged): replaces a kept one, or is
   * kept if the series was sighted before.
   */
  void keep(String series, SeriesState entry) {
    if (capacity == 0 || entries.replace(series, entry) != null) {
      return;
    }
    if (sightedBefore(series)) {
      entries.put(series, entry);
    }
  }

  /** Drops a series' entry that may have been changed and not written. */
  void forget(String series) {
    entries.remove(series);
  }

  /** Drops every entry and sighting: the store is the only truth when a task (re)starts. */
  void clear() {
    entries.clear();
    Arrays.fill(seen, 0);
    sightings = 0;
  }

  int size() {
    return entries.size();
  }

  /** Whether the series was sighted since the last reset; remembers it if not. */
  private boolean sightedBefore(String series) {
    int h = series.hashCode() * 0x9E3779B9;
    int bit = (h ^ (h >>> 15)) & mask;
    long word = seen[bit >>> 6];
    long flag = 1L << bit;
    if ((word & flag) != 0) {
      return true;
    }
    seen[bit >>> 6] = word | flag;
    if (++sightings >= resetAfter) {
      Arrays.fill(seen, 0);
      sightings = 0;
    }
    return false;
  }
}
