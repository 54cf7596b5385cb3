package dev.metricspipeline.pull;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One Prometheus relabeling step ({@code relabel_configs}, {@code metric_relabel_configs}), with
 * Prometheus's defaults: separator {@code ;}, regex {@code (.*)} (anchored at both ends),
 * replacement {@code $1}, action {@code replace}. {@link Relabeler} applies it.
 */
public record RelabelConfig(
    List<String> sourceLabels,
    String separator,
    String targetLabel,
    Pattern regex,
    long modulus,
    String replacement,
    Action action) {

  /** Every Prometheus action. */
  public enum Action {
    REPLACE,
    KEEP,
    DROP,
    KEEPEQUAL,
    DROPEQUAL,
    HASHMOD,
    LABELMAP,
    LABELDROP,
    LABELKEEP,
    LOWERCASE,
    UPPERCASE;

    static Action parse(String name) {
      try {
        return valueOf(name.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown relabel action \"" + name + "\"", e);
      }
    }

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public RelabelConfig {
    sourceLabels = sourceLabels == null ? List.of() : List.copyOf(sourceLabels);
  }

  /**
   * Builds and checks a step as Prometheus does; null arguments take the defaults.
   *
   * @throws IllegalArgumentException with Prometheus's wording for what is missing or wrong
   */
  public static RelabelConfig of(
      List<String> sourceLabels,
      String separator,
      String targetLabel,
      String regex,
      Long modulus,
      String replacement,
      String action) {
    Action a = action == null ? Action.REPLACE : Action.parse(action);
    Pattern pattern;
    String re = regex == null ? "(.*)" : regex;
    try {
      pattern = Pattern.compile("^(?:" + re + ")$", Pattern.DOTALL);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("invalid regex \"" + re + "\": " + e.getDescription(), e);
    }
    RelabelConfig config =
        new RelabelConfig(
            sourceLabels,
            separator == null ? ";" : separator,
            targetLabel,
            pattern,
            modulus == null ? 0 : modulus,
            replacement == null ? "$1" : replacement,
            a);
    config.validate();
    return config;
  }

  private void validate() {
    boolean needsTarget =
        switch (action) {
          case REPLACE, HASHMOD, LOWERCASE, UPPERCASE, KEEPEQUAL, DROPEQUAL -> true;
          default -> false;
        };
    if (needsTarget && (targetLabel == null || targetLabel.isEmpty())) {
      throw new IllegalArgumentException(
          "relabel configuration for " + action.key() + " action requires 'target_label' value");
    }
    if (action == Action.HASHMOD && modulus == 0) {
      throw new IllegalArgumentException(
          "relabel configuration for hashmod requires non-zero modulus");
    }
    if ((action == Action.KEEPEQUAL || action == Action.DROPEQUAL)
        && (!regex.pattern().equals("^(?:(.*))$")
            || !replacement.equals("$1")
            || !separator.equals(";"))) {
      throw new IllegalArgumentException(
          action.key()
              + " action requires only 'source_labels' and `target_label`, and no other fields");
    }
    if ((action == Action.LABELDROP || action == Action.LABELKEEP)
        && (!sourceLabels.isEmpty() || targetLabel != null || !replacement.equals("$1"))) {
      throw new IllegalArgumentException(
          action.key() + " action requires only 'regex', and no other fields");
    }
    if (needsTarget && action != Action.REPLACE && !targetLabel.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
      throw new IllegalArgumentException(
          "\"" + targetLabel + "\" is invalid 'target_label' for " + action.key() + " action");
    }
    if (action == Action.REPLACE && !targetLabel.matches("[a-zA-Z_$][a-zA-Z0-9_${}]*")) {
      throw new IllegalArgumentException(
          "\"" + targetLabel + "\" is invalid 'target_label' for replace action");
    }
  }
}
