package dev.metricspipeline.formats.internal;

import dev.metricspipeline.formats.ParseException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What each series text (a sample line's metric name and label set, exactly as written) parsed to
 * in the last body parsed with it, so that a body repeating those series skips parsing their
 * labels. The text is only ever taken from a line that parsed whole before, so a hit needs no
 * checks the first parse did not already make.
 *
 * <p>A target's bodies usually list the same series in the same order, so the {@code i}th sample
 * line is first compared in place with the {@code i}th text of the last body (no copy, no hash);
 * only when that differs is the line's text copied and looked up among all of the last body's. The
 * texts are kept as where they were in the last body, which is kept whole: comparing a body with
 * the last one reads both from start to end, where a string per text (a text object, a string and
 * its bytes per sample, scattered over the heap) cost cache misses per line once a hundred targets'
 * texts did not fit in the CPU's caches. So the cache holds the last body's bytes (its comments and
 * values too) rather than its texts alone.
 *
 * <p>The metric names of the {@code # HELP} and {@code # TYPE} lines are kept the same way, in
 * order, so that an unchanged comment line names its metric with the string it had last time.
 *
 * <p>Holds the series of the last successfully parsed body only: each parse reads the last one's
 * texts and collects its own, which replace them when it succeeds. Parses may overlap (two scrapes
 * of a slow target): each reads the snapshot it started with, and the last to succeed wins.
 */
public final class SeriesTexts {

  /** A series as parsed: its name and labels (as written, sorted). */
  public record Series(String name, FrozenLabels labels) {}

  /**
   * The last body, where each of its sample lines' series text is in it ({@code starts}, {@code
   * lengths}; {@code count} of them) and what it parsed to, and the metric names of its HELP and
   * TYPE lines, in order.
   *
   * @param distinct whether no two of its sample lines were the same series (by name and labels,
   *     whatever their timestamps)
   */
  private record Last(
      String body,
      byte[] ascii,
      int[] starts,
      int[] lengths,
      Series[] series,
      int count,
      String[] names,
      boolean distinct) {}

  private volatile Last last =
      new Last("", null, new int[0], new int[0], new Series[0], 0, new String[0], true);

  /** Series texts remembered from the last successful parse (one per sample line). */
  public int size() {
    return last.count;
  }

  /**
   * Starts one parse.
   *
   * @param body the whole body, in which {@link Parse#get} finds each text
   * @param ascii the body's bytes if every one is ASCII (a char each, at the same offsets), else
   *     null: then texts are compared as bytes ({@link Arrays#equals(byte[], int, int, byte[], int,
   *     int)}, which the JIT vectorizes) and the array, not the string, is kept. Kept until the
   *     next body's parse succeeds, so it must not change after this call.
   */
  public Parse begin(String body, byte[] ascii) {
    return new Parse(last, body, ascii);
  }

  /** The texts one parse looks up and collects; {@link #commit} when the body parsed whole. */
  public final class Parse {
    private final Last known;
    private final String body;
    private final byte[] ascii;
    private Map<String, Series> index;
    // This body's texts so far: where each is in it and what it parsed to.
    private int[] starts;
    private int[] lengths;
    private Series[] series;
    private int count;
    private final List<String> names;
    private int missedFrom;
    private int missedLength;
    private boolean inPlace;

    private Parse(Last last, String body, byte[] ascii) {
      this.known = last;
      this.body = body;
      this.ascii = ascii;
      int capacity = Math.max(16, last.count);
      this.starts = new int[capacity];
      this.lengths = new int[capacity];
      this.series = new Series[capacity];
      this.names = new ArrayList<>(last.names.length);
    }

    /**
     * The metric name of this body's next HELP or TYPE line, read by {@code in} at it: the last
     * body's name at the same position (its {@code n}th such line for this one's {@code n}th) is
     * compared in place first ({@link LineScanner#metricName(String)}), so an unchanged line's name
     * is the same string, its hash already worked out, instead of a new one. Kept for the next
     * body.
     */
    public String commentName(LineScanner in) throws ParseException {
      int at = names.size();
      String name = in.metricName(at < known.names.length ? known.names[at] : null);
      names.add(name);
      return name;
    }

    /** How many series texts the last body had: a size hint for this one. */
    public int lastSize() {
      return known.count;
    }

    /**
     * The series that the text {@code [from, to)} of the body parsed to, or null: then parse it and
     * {@link #put} what it parsed to.
     */
    public Series get(int from, int to) {
      int at = count;
      int length = to - from;
      if (at < known.count
          && known.lengths[at] == length
          && sameText(from, length, known.starts[at])) {
        inPlace = true;
        add(from, length, known.series[at]);
        return known.series[at];
      }
      return lookUp(from, to);
    }

    /** The rest of {@link #get}, kept apart so that the comparison in place stays small. */
    private Series lookUp(int from, int to) {
      int length = to - from;
      inPlace = false;
      if (index == null) {
        index = new HashMap<>(known.count * 4 / 3 + 1);
        for (int i = 0; i < known.count; i++) {
          int start = known.starts[i];
          index.put(knownText(start, known.lengths[i]), known.series[i]);
        }
      }
      Series found = index.get(body.substring(from, to));
      if (found != null) {
        add(from, length, found);
        return found;
      }
      missedFrom = from;
      missedLength = length;
      return null;
    }

    /** Whether this body's {@code [from, from + length)} is the last body's from {@code start}. */
    private boolean sameText(int from, int length, int start) {
      if (ascii != null && known.ascii != null) {
        return Arrays.equals(ascii, from, from + length, known.ascii, start, start + length);
      }
      return known.body != null
          ? body.regionMatches(from, known.body, start, length)
          : body.regionMatches(from, knownText(start, length), 0, length);
    }

    private String knownText(int start, int length) {
      return known.body != null
          ? known.body.substring(start, start + length)
          : new String(known.ascii, start, length, StandardCharsets.ISO_8859_1);
    }

    /**
     * Whether the last {@link #get} found its text at its own position in a last body whose sample
     * lines were all different series. Then the series differs from every other series this body
     * got that way (they come from other positions of that body), so a parser need not look for
     * duplicates among them.
     */
    public boolean inPlaceDistinct() {
      return inPlace && known.distinct;
    }

    /** What the text that {@link #get} just missed parsed to. */
    public void put(Series parsed) {
      add(missedFrom, missedLength, parsed);
    }

    private void add(int from, int length, Series parsed) {
      if (count == starts.length) {
        grow();
      }
      starts[count] = from;
      lengths[count] = length;
      series[count] = parsed;
      count++;
    }

    private void grow() {
      int capacity = count * 2;
      starts = Arrays.copyOf(starts, capacity);
      lengths = Arrays.copyOf(lengths, capacity);
      series = Arrays.copyOf(series, capacity);
    }

    /**
     * This parse's texts replace the last one's.
     *
     * @param distinct whether no two of this body's sample lines were the same series, whatever
     *     their timestamps (false when unsure)
     */
    public void commit(boolean distinct) {
      SeriesTexts.this.last =
          new Last(
              ascii != null ? null : body,
              ascii,
              starts,
              lengths,
              series,
              count,
              names.toArray(new String[0]),
              distinct);
    }
  }
}
