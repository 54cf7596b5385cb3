package dev.metricspipeline.formats;

import dev.metricspipeline.formats.internal.FrozenLabels;
import java.util.Collection;
import java.util.Map;

/**
 * The longest label name and value of a label set, in chars, for length limits checked per sample:
 * read off a label set the parsers made (a series' labels, shared by its samples, which works them
 * out once), else walked.
 */
public final class LabelLengths {
  private LabelLengths() {}

  /** The length of the longest label name in {@code labels}; 0 when there are none. */
  public static int longestName(Map<String, String> labels) {
    return labels instanceof FrozenLabels frozen ? frozen.longestName() : longest(labels.keySet());
  }

  /** The length of the longest label value in {@code labels}; 0 when there are none. */
  public static int longestValue(Map<String, String> labels) {
    return labels instanceof FrozenLabels frozen ? frozen.longestValue() : longest(labels.values());
  }

  /**
   * The length of the longest text in {@code texts}; 0 when there are none. {@code FrozenLabels}
   * works its two out with this once, when it is made.
   */
  public static int longest(Collection<String> texts) {
    int longest = 0;
    for (String text : texts) {
      longest = Math.max(longest, text.length());
    }
    return longest;
  }
}
