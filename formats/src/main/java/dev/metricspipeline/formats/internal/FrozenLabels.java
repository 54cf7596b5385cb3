package dev.metricspipeline.formats.internal;

import dev.metricspipeline.formats.LabelLengths;
import java.util.AbstractMap;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A label set that cannot change: sorted by name, its hash worked out once. {@link #of} copies a
 * map into one and returns one as it is, so a label set shared by many samples (a series seen in
 * every scrape) is neither copied nor hashed again per sample; two references to the same set
 * compare equal without a walk. Its longest name and value are worked out once too, for the push
 * gateway's per-sample label limits ({@code LabelLengths}).
 */
public final class FrozenLabels extends AbstractMap<String, String>
    implements SortedMap<String, String> {

  private static final FrozenLabels EMPTY = new FrozenLabels(new TreeMap<>());

  private final SortedMap<String, String> labels;
  private final int hash;
  private final int longestName;
  private final int longestValue;

  /** The last {@link #withBound} worked out: the bound label's name and the set it made. */
  private record Bounded(String label, FrozenLabels labels) {}

  private volatile Bounded bounded;

  private FrozenLabels(TreeMap<String, String> copy) {
    this.labels = Collections.unmodifiableSortedMap(copy);
    this.hash = copy.hashCode();
    this.longestName = LabelLengths.longest(copy.keySet());
    this.longestValue = LabelLengths.longest(copy.values());
  }

  /** {@code labels} itself if it is a frozen set, else a sorted copy of it. */
  public static FrozenLabels of(Map<String, String> labels) {
    if (labels instanceof FrozenLabels frozen) {
      return frozen;
    }
    return labels.isEmpty() ? EMPTY : new FrozenLabels(new TreeMap<>(labels));
  }

  /**
   * This set with the value of {@code label} (a bucket's {@code le}, a quantile's {@code quantile})
   * written as Prometheus writes a bound ({@link Numbers#boundText}): this very set if it has no
   * such label, its value is not a number or is written so already, else a copy. Worked out once
   * and kept, so a series the parse cache hands back every scrape gets the same set every time, not
   * a copy per sample.
   */
  public FrozenLabels withBound(String label) {
    Bounded b = bounded;
    if (b != null && b.label.equals(label)) {
      return b.labels;
    }
    FrozenLabels result = this;
    String value = labels.get(label);
    String written = Numbers.boundText(value);
    if (written != null && !written.equals(value)) {
      TreeMap<String, String> copy = new TreeMap<>(labels);
      copy.put(label, written);
      result = new FrozenLabels(copy);
    }
    bounded = new Bounded(label, result);
    return result;
  }

  /** The length in chars of the longest label name; 0 for no labels. */
  public int longestName() {
    return longestName;
  }

  /** The length in chars of the longest label value; 0 for no labels. */
  public int longestValue() {
    return longestValue;
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (o instanceof FrozenLabels other && other.hash != hash) {
      return false;
    }
    return labels.equals(o);
  }

  @Override
  public int size() {
    return labels.size();
  }

  @Override
  public boolean containsKey(Object key) {
    return labels.containsKey(key);
  }

  @Override
  public String get(Object key) {
    return labels.get(key);
  }

  @Override
  public Set<Map.Entry<String, String>> entrySet() {
    return labels.entrySet();
  }

  @Override
  public Set<String> keySet() {
    return labels.keySet();
  }

  @Override
  public Collection<String> values() {
    return labels.values();
  }

  @Override
  public Comparator<? super String> comparator() {
    return null;
  }

  @Override
  public SortedMap<String, String> subMap(String fromKey, String toKey) {
    return labels.subMap(fromKey, toKey);
  }

  @Override
  public SortedMap<String, String> headMap(String toKey) {
    return labels.headMap(toKey);
  }

  @Override
  public SortedMap<String, String> tailMap(String fromKey) {
    return labels.tailMap(fromKey);
  }

  @Override
  public String firstKey() {
    return labels.firstKey();
  }

  @Override
  public String lastKey() {
    return labels.lastKey();
  }
}
