package dev.metricspipeline.formats.internal;

import dev.metricspipeline.formats.ParseException;
import java.util.ArrayList;
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
 * only when that differs is the line's text copied and looked up among all of the last body's.
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

  private record Text(String text, Series series) {}

  /**
   * The last body's series texts, and the metric names of its HELP and TYPE lines, in order.
   *
   * @param distinct whether no two of its sample lines were the same series (by name and labels,
   *     whatever their timestamps)
   */
  private record Last(Text[] texts, String[] names, boolean distinct) {}

  private volatile Last last = new Last(new Text[0], new String[0], true);

  /** Series texts remembered from the last successful parse (one per sample line). */
  public int size() {
    return last.texts.length;
  }

  /** Starts one parse. */
  public Parse begin() {
    return new Parse(last);
  }

  /** The texts one parse looks up and collects; {@link #commit} when the body parsed whole. */
  public final class Parse {
    private final Text[] known;
    private final String[] knownNames;
    private Map<String, Series> index;
    private final List<Text> seen;
    private final List<String> names;
    private final boolean knownDistinct;
    private String missed;
    private boolean inPlace;

    private Parse(Last last) {
      this.known = last.texts;
      this.knownDistinct = last.distinct;
      this.knownNames = last.names;
      this.seen = new ArrayList<>(known.length);
      this.names = new ArrayList<>(knownNames.length);
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
      String name = in.metricName(at < knownNames.length ? knownNames[at] : null);
      names.add(name);
      return name;
    }

    /** How many series texts the last body had: a size hint for this one. */
    public int lastSize() {
      return known.length;
    }

    /**
     * The series that the text {@code line[from, to)} parsed to, or null: then parse it and {@link
     * #put} what it parsed to.
     */
    public Series get(String line, int from, int to) {
      int at = seen.size();
      int length = to - from;
      if (at < known.length) {
        Text same = known[at];
        if (same.text.length() == length && line.regionMatches(from, same.text, 0, length)) {
          seen.add(same);
          inPlace = true;
          return same.series;
        }
      }
      inPlace = false;
      String text = line.substring(from, to);
      if (index == null) {
        index = new HashMap<>(known.length * 4 / 3 + 1);
        for (Text t : known) {
          index.put(t.text, t.series);
        }
      }
      Series series = index.get(text);
      if (series != null) {
        seen.add(new Text(text, series));
        return series;
      }
      missed = text;
      return null;
    }

    /**
     * Whether the last {@link #get} found its text at its own position in a last body whose sample
     * lines were all different series. Then the series differs from every other series this body
     * got that way (they come from other positions of that body), so a parser need not look for
     * duplicates among them.
     */
    public boolean inPlaceDistinct() {
      return inPlace && knownDistinct;
    }

    /** What the text that {@link #get} just missed parsed to. */
    public void put(Series series) {
      seen.add(new Text(missed, series));
      missed = null;
    }

    /**
     * This parse's texts replace the last one's.
     *
     * @param distinct whether no two of this body's sample lines were the same series, whatever
     *     their timestamps (false when unsure)
     */
    public void commit(boolean distinct) {
      SeriesTexts.this.last =
          new Last(seen.toArray(new Text[0]), names.toArray(new String[0]), distinct);
    }
  }
}
