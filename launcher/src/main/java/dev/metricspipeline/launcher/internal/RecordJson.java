package dev.metricspipeline.launcher.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metricspipeline.schemas.StaleMarker;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * Turns Avro values into JSON the way {@code tail} prints them: records as objects with their field
 * names, enums as their symbol, bytes as base64, and the doubles JSON has no number for as strings
 * ({@code "NaN"}, {@code "+Inf"}, {@code "-Inf"}, and {@code "StaleNaN"} for the Prometheus stale
 * marker, so it can be told from an ordinary NaN).
 */
public final class RecordJson {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();

  private RecordJson() {}

  /** An Avro datum (record, map, array, primitive) as JSON. */
  public static JsonNode avro(Object datum) {
    if (datum == null) {
      return NODES.nullNode();
    }
    if (datum instanceof GenericRecord record) {
      ObjectNode out = NODES.objectNode();
      for (Schema.Field field : record.getSchema().getFields()) {
        out.set(field.name(), avro(record.get(field.pos())));
      }
      return out;
    }
    if (datum instanceof Map<?, ?> map) {
      ObjectNode out = NODES.objectNode();
      new java.util.TreeMap<>(map).forEach((k, v) -> out.set(k.toString(), avro(v)));
      return out;
    }
    if (datum instanceof Collection<?> items) {
      ArrayNode out = NODES.arrayNode();
      items.forEach(item -> out.add(avro(item)));
      return out;
    }
    if (datum instanceof Double d) {
      return number(d);
    }
    if (datum instanceof Float f) {
      return number(f.doubleValue());
    }
    if (datum instanceof Integer i) {
      return NODES.numberNode(i);
    }
    if (datum instanceof Long l) {
      return NODES.numberNode(l);
    }
    if (datum instanceof Boolean b) {
      return NODES.booleanNode(b);
    }
    if (datum instanceof ByteBuffer buffer) {
      ByteBuffer copy = buffer.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
    }
    if (datum instanceof GenericFixed fixed) {
      return NODES.textNode(Base64.getEncoder().encodeToString(fixed.bytes()));
    }
    if (datum instanceof GenericEnumSymbol<?> symbol) {
      return NODES.textNode(symbol.toString());
    }
    return NODES.textNode(datum.toString());
  }

  private static JsonNode number(double d) {
    if (StaleMarker.isStale(d)) {
      return NODES.textNode("StaleNaN");
    }
    if (Double.isNaN(d)) {
      return NODES.textNode("NaN");
    }
    if (Double.isInfinite(d)) {
      return NODES.textNode(d > 0 ? "+Inf" : "-Inf");
    }
    return NODES.numberNode(d);
  }

  /**
   * Bytes that are not Avro: embedded JSON if they parse as JSON, a string if they are UTF-8, else
   * base64 in an object {@code {"base64": "..."}}.
   */
  public static JsonNode raw(byte[] bytes) {
    if (bytes == null) {
      return NODES.nullNode();
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      return NODES.objectNode().put("base64", Base64.getEncoder().encodeToString(bytes));
    }
    String trimmed = text.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return JSON.readTree(trimmed);
      } catch (java.io.IOException e) {
        // not JSON after all: fall through to the string
      }
    }
    return NODES.textNode(text);
  }
}
