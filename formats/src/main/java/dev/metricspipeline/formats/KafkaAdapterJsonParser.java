package dev.metricspipeline.formats;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.formats.internal.LineScanner;
import dev.metricspipeline.schemas.avro.SampleType;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON that Telefonica's prometheus-kafka-adapter writes, one sample per object: {@code
 * {"timestamp":"2025-11-24T16:00:00Z","value":"12.5","name":"up","labels":{"__name__":"up","job":"x"}}}.
 * {@code timestamp} is RFC 3339, {@code value} a string ({@code NaN}, {@code +Inf} and {@code -Inf}
 * included), {@code labels} may repeat {@code __name__}, which must then agree with {@code name}. A
 * message may hold several objects, one per line. All or nothing, like every parser here. Samples
 * are {@code UNTYPED} (the adapter does not carry types).
 */
public final class KafkaAdapterJsonParser implements MetricsParser {

  /**
   * Strict: Jackson would otherwise keep the last of two equal label names, and ignore what follows
   * the first JSON value on a line.
   */
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final KafkaAdapterJsonParser INSTANCE = new KafkaAdapterJsonParser();

  private KafkaAdapterJsonParser() {}

  public static KafkaAdapterJsonParser instance() {
    return INSTANCE;
  }

  @Override
  public ParseResult parse(byte[] body, long defaultTimestampMs) throws ParseException {
    String text = new String(body, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1);
    List<ParsedSample> samples = new ArrayList<>();
    List<String> families = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      ParsedSample sample = parseObject(line, i + 1);
      samples.add(sample);
      families.add(sample.name());
    }
    if (samples.isEmpty()) {
      throw new ParseException(0, 0, "no sample in the message");
    }
    return new ParseResult(samples, families, 0, 0);
  }

  private static ParsedSample parseObject(String line, int lineNo) throws ParseException {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new ParseException(lineNo, 0, "not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new ParseException(lineNo, 0, "expected a JSON object");
    }
    String name = text(node, "name", lineNo);
    JsonNode labelsNode = node.get("labels");
    Map<String, String> labels = new TreeMap<>();
    if (labelsNode != null && !labelsNode.isNull()) {
      if (!labelsNode.isObject()) {
        throw new ParseException(lineNo, 0, "\"labels\" must be an object");
      }
      for (Map.Entry<String, JsonNode> e : labelsNode.properties()) {
        if (!e.getValue().isTextual()) {
          throw new ParseException(lineNo, 0, "label " + e.getKey() + " must be a string");
        }
        labels.put(e.getKey(), e.getValue().asText());
      }
    }
    String nameLabel = labels.remove("__name__");
    if (nameLabel != null && !nameLabel.equals(name)) {
      throw new ParseException(
          lineNo, 0, "\"name\" " + name + " and label __name__ " + nameLabel + " differ");
    }
    if (!LineScanner.isMetricName(name)) {
      throw new ParseException(lineNo, 0, "invalid metric name \"" + name + "\"");
    }
    for (String label : labels.keySet()) {
      if (!LineScanner.isLabelName(label) || label.startsWith("__")) {
        throw new ParseException(lineNo, 0, "invalid label name \"" + label + "\"");
      }
    }
    labels.values().removeIf(String::isEmpty);
    String valueText = text(node, "value", lineNo);
    double value;
    try {
      value =
          switch (valueText) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(valueText);
          };
    } catch (NumberFormatException e) {
      throw new ParseException(lineNo, 0, "\"value\" is not a number: \"" + valueText + "\"");
    }
    String ts = text(node, "timestamp", lineNo);
    long timestamp;
    try {
      timestamp = OffsetDateTime.parse(ts).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new ParseException(lineNo, 0, "\"timestamp\" is not RFC 3339: \"" + ts + "\"");
    }
    return new ParsedSample(name, labels, SampleType.UNTYPED, value, timestamp);
  }

  private static String text(JsonNode node, String field, int lineNo) throws ParseException {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new ParseException(lineNo, 0, "missing \"" + field + "\"");
    }
    if (!v.isTextual()) {
      throw new ParseException(lineNo, 0, "\"" + field + "\" must be a string");
    }
    return v.asText();
  }
}
