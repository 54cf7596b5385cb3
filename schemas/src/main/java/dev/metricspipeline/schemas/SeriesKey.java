package dev.metricspipeline.schemas;

import dev.metricspipeline.schemas.avro.MetricSample;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Builds the canonical series id, the Kafka key of every {@link MetricSample} and rollup.
 *
 * <p>The id is the series as the Prometheus text format writes it: {@code name{a="1",b="2"}}, label
 * names in ascending (UTF-16 code unit) order, values escaped as in the text format ({@code \\},
 * {@code \"}, {@code \n}), and no braces when there are no labels. Labels listed as <em>replica
 * labels</em> (by default {@value #DEFAULT_REPLICA_LABEL}) are left out, so that the samples of two
 * HA scraper replicas land on the same key and partition, where the streams stage deduplicates
 * them.
 *
 * <p>Label values are part of the key exactly as given: the same series written with a different
 * label order maps to the same id; different values (even differing only in case) never do.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class SeriesKey {

  /** The replica label left out of series ids unless configured otherwise. */
  public static final String DEFAULT_REPLICA_LABEL = "__replica__";

  private static final SeriesKey STANDARD = new SeriesKey(Set.of(DEFAULT_REPLICA_LABEL));

  private final Set<String> excludedLabels;

  private SeriesKey(Set<String> excludedLabels) {
    this.excludedLabels = Set.copyOf(excludedLabels);
  }

  /** Ids that leave out {@value #DEFAULT_REPLICA_LABEL}. */
  public static SeriesKey standard() {
    return STANDARD;
  }

  /** Ids that leave out the given replica labels (and nothing else). */
  public static SeriesKey excluding(Collection<String> replicaLabels) {
    return new SeriesKey(Set.copyOf(replicaLabels));
  }

  /** The labels this key leaves out. */
  public Set<String> excludedLabels() {
    return excludedLabels;
  }

  /** The series id of a sample. */
  public String idOf(MetricSample sample) {
    return idOf(sample.getName(), sample.getLabels());
  }

  /**
   * The series id of a metric name and its labels.
   *
   * @throws IllegalArgumentException if the name is empty
   */
  public String idOf(String name, Map<String, String> labels) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("metric name must not be empty");
    }
    // Any map sorted by natural order (a TreeMap, or a parsed sample's unmodifiable view of one)
    // is taken as it is.
    Map<String, String> sorted =
        labels instanceof SortedMap<?, ?> m && m.comparator() == null
            ? labels
            : new TreeMap<>(labels);
    StringBuilder id = new StringBuilder(name.length() + 16 * sorted.size());
    id.append(name);
    boolean first = true;
    for (Map.Entry<String, String> label : sorted.entrySet()) {
      if (excludedLabels.contains(label.getKey()) || "__name__".equals(label.getKey())) {
        continue;
      }
      id.append(first ? '{' : ',');
      first = false;
      id.append(label.getKey()).append("=\"");
      appendEscaped(id, label.getValue());
      id.append('"');
    }
    if (!first) {
      id.append('}');
    }
    return id.toString();
  }

  /** Escapes a label value as the Prometheus text format does: backslash, double quote, newline. */
  public static String escapeLabelValue(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2);
    appendEscaped(out, value);
    return out.toString();
  }

  private static void appendEscaped(StringBuilder out, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }

  @Override
  public String toString() {
    return "SeriesKey[excluding " + excludedLabels + "]";
  }
}
