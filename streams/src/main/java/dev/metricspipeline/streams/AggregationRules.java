package dev.metricspipeline.streams;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.metricspipeline.formats.SeriesSelector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads aggregation rules from YAML: a list of rules, each {@code match} (a PromQL selector), at
 * most one of {@code by} and {@code without} (label lists), {@code outputs} (any of {@code sum},
 * {@code count}, {@code min}, {@code max}, {@code avg}, {@code increase}) and an optional {@code
 * name} (the output name prefix):
 *
 * <pre>{@code
 * - match: 'http_requests_total{job="api"}'
 *   without: [instance]
 *   outputs: [increase, sum]
 * }</pre>
 *
 * Parsing is strict: an unknown key, a bad selector, a bad output or {@code by} with {@code
 * without} is an error naming the file, the line and what is wrong.
 */
public final class AggregationRules {

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private AggregationRules() {}

  /** One rule as written. */
  record RuleYaml(
      String name, String match, List<String> by, List<String> without, List<String> outputs) {
    @JsonCreator
    RuleYaml(
        @JsonProperty("name") String name,
        @JsonProperty(value = "match", required = true) String match,
        @JsonProperty("by") List<String> by,
        @JsonProperty("without") List<String> without,
        @JsonProperty(value = "outputs", required = true) List<String> outputs) {
      this.name = name;
      this.match = match;
      this.by = by;
      this.without = without;
      this.outputs = outputs;
    }
  }

  /**
   * Reads a rules file.
   *
   * @throws IllegalArgumentException with file and line when the file is not a valid rules list
   * @throws UncheckedIOException when it cannot be read
   */
  public static List<AggregationRule> load(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read aggregation rules " + file, e);
    }
  }

  /**
   * Parses rules from YAML text.
   *
   * @param source named in errors (a file name)
   */
  public static List<AggregationRule> parse(String yaml, String source) {
    List<AggregationRule> rules = new ArrayList<>();
    try (JsonParser parser = YAML.createParser(yaml)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return List.of();
      }
      if (first != JsonToken.START_ARRAY) {
        throw error(source, parser.currentTokenLocation(), "expected a list of rules");
      }
      while (parser.nextToken() == JsonToken.START_OBJECT) {
        JsonLocation at = parser.currentTokenLocation();
        RuleYaml rule = YAML.readValue(parser, RuleYaml.class);
        rules.add(toRule(rule, source, at));
      }
      if (parser.currentToken() != JsonToken.END_ARRAY) {
        throw error(source, parser.currentTokenLocation(), "each rule must be a mapping");
      }
    } catch (UnrecognizedPropertyException e) {
      throw error(
          source,
          e.getLocation(),
          "unknown key '"
              + e.getPropertyName()
              + "' (known: "
              + new TreeSet<>(e.getKnownPropertyIds().stream().map(Object::toString).toList())
              + ")");
    } catch (JsonProcessingException e) {
      throw error(source, e.getLocation(), e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.copyOf(rules);
  }

  private static AggregationRule toRule(RuleYaml rule, String source, JsonLocation at) {
    try {
      Set<AggregationRule.Output> outputs = EnumSet.noneOf(AggregationRule.Output.class);
      for (String output : rule.outputs()) {
        try {
          outputs.add(AggregationRule.Output.valueOf(output.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "unknown output '" + output + "' (known: sum, count, min, max, avg, increase)", e);
        }
      }
      return new AggregationRule(
          rule.name(), SeriesSelector.parse(rule.match()), rule.by(), rule.without(), outputs);
    } catch (IllegalArgumentException e) {
      throw error(source, at, e.getMessage());
    }
  }

  private static IllegalArgumentException error(String source, JsonLocation at, String what) {
    String line = at == null ? "" : ":" + at.getLineNr();
    return new IllegalArgumentException(source + line + ": " + what);
  }
}
