package dev.metricspipeline.promql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable label set sorted by name, the metric name as {@code __name__}; usable as a map key
 * (equal sets are equal), which is how vector matching and grouping compare series.
 */
public final class Labels implements Comparable<Labels> {

  public static final String NAME = "__name__";
  public static final Labels EMPTY = new Labels(new String[0], new String[0]);

  private final String[] names;
  private final String[] values;
  private int hash;

  private Labels(String[] names, String[] values) {
    this.names = names;
    this.values = values;
  }

  /** A label set from a map; empty values are dropped, as a label with no value is absent. */
  public static Labels of(Map<String, String> labels) {
    TreeMap<String, String> sorted = new TreeMap<>();
    labels.forEach(
        (k, v) -> {
          if (v != null && !v.isEmpty()) {
            sorted.put(k, v);
          }
        });
    return new Labels(
        sorted.keySet().toArray(new String[0]), sorted.values().toArray(new String[0]));
  }

  /** The value of a label, or null. */
  public String get(String name) {
    int i = Arrays.binarySearch(names, name);
    return i < 0 ? null : values[i];
  }

  public int size() {
    return names.length;
  }

  /** This set with one label set (an empty value removes it). */
  public Labels with(String name, String value) {
    Map<String, String> m = toMap();
    if (value == null || value.isEmpty()) {
      m.remove(name);
    } else {
      m.put(name, value);
    }
    return of(m);
  }

  /** This set without the given labels. */
  public Labels without(Collection<String> drop) {
    Map<String, String> m = toMap();
    m.keySet().removeAll(drop);
    return of(m);
  }

  /** This set without the metric name. */
  public Labels withoutName() {
    return get(NAME) == null ? this : without(List.of(NAME));
  }

  /** Only the given labels of this set. */
  public Labels keep(Collection<String> keep) {
    Map<String, String> m = toMap();
    m.keySet().retainAll(keep);
    return of(m);
  }

  /** The labels as a sorted map. */
  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], values[i]);
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Labels l
        && Arrays.equals(names, l.names)
        && Arrays.equals(values, l.values);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(names) * 31 + Arrays.hashCode(values);
      hash = h;
    }
    return h;
  }

  /** Orders as Prometheus sorts a matrix: label by label, name then value. */
  @Override
  public int compareTo(Labels o) {
    int n = Math.min(names.length, o.names.length);
    for (int i = 0; i < n; i++) {
      int c = names[i].compareTo(o.names[i]);
      if (c != 0) {
        return c;
      }
      c = values[i].compareTo(o.values[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(names.length, o.names.length);
  }

  /** {@code {__name__="up", job="a"}}. */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      parts.add(names[i] + "=" + Expr.quote(values[i]));
    }
    return "{" + String.join(", ", parts) + "}";
  }
}
