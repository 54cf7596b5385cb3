package dev.metricspipeline.push.internal;

import dev.metricspipeline.formats.LabelLengths;
import dev.metricspipeline.push.PushGatewayConfig;
import java.util.Map;

/**
 * The per-series label limits every push path applies, refusing with 400 and the reason. Checked
 * per sample: the lengths come from {@link LabelLengths}, which a parsed series' shared labels
 * answer without a walk; only a set over a limit is walked, to name the label.
 */
final class LabelLimits {
  private LabelLimits() {}

  static void check(PushGatewayConfig config, String name, Map<String, String> labels) {
    if (labels.size() <= config.maxLabelsPerSeries()
        && LabelLengths.longestName(labels) <= config.maxLabelNameLength()
        && LabelLengths.longestValue(labels) <= config.maxLabelValueLength()) {
      return;
    }
    if (labels.size() > config.maxLabelsPerSeries()) {
      throw new PushRejected(
          400,
          "limit",
          name
              + " has "
              + labels.size()
              + " labels; at most "
              + config.maxLabelsPerSeries()
              + " are allowed");
    }
    for (Map.Entry<String, String> label : labels.entrySet()) {
      String key = label.getKey();
      if (key.length() > config.maxLabelNameLength()) {
        throw new PushRejected(
            400,
            "limit",
            name
                + ": label name "
                + key.substring(0, Math.min(32, key.length()))
                + "... is longer than "
                + config.maxLabelNameLength()
                + " characters");
      }
      if (label.getValue().length() > config.maxLabelValueLength()) {
        throw new PushRejected(
            400,
            "limit",
            name
                + ": the value of label "
                + key
                + " is longer than "
                + config.maxLabelValueLength()
                + " characters");
      }
    }
  }
}
