package dev.metricspipeline.push.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a push group holds now: its series with their last values, and when it was last pushed. Kept
 * as JSON in the compacted group topic under the group's canonical key, so every gateway instance
 * (and a restarted one) knows which series a later PUT, POST or DELETE ends.
 *
 * @param series by series id
 * @param lastPushMs last successful push, ms since the epoch
 * @param lastFailureMs last refused push, or 0
 * @param version increases with every write of the group; a reader applies only newer versions, so
 *     an instance replaying the topic never moves a group back in time
 * @param deleted the group was deleted (kept as a marker rather than a tombstone, so that the
 *     deletion has a version too)
 */
public record GroupState(
    GroupingKey key,
    Map<String, Series> series,
    long lastPushMs,
    long lastFailureMs,
    long version,
    boolean deleted) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public GroupState {
    series = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(series));
  }

  /** One series of the group. */
  public record Series(
      String family,
      String name,
      Map<String, String> labels,
      SampleType type,
      double value,
      long timestamp) {}

  /**
   * The state as the group topic holds it: {@code labels}, {@code lastPushMs}, {@code
   * lastFailureMs}, {@code version}, {@code deleted}, then {@code series}, in that order ({@link
   * #versionOf} relies on the version coming before the series). Streamed out, with no tree in
   * between: a group of 1,000 series is written on every push.
   */
  public byte[] toJson() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 160 * series.size());
    try (JsonGenerator out = JSON.getFactory().createGenerator(bytes)) {
      out.writeStartObject();
      writeLabels(out, key.labels());
      out.writeNumberField("lastPushMs", lastPushMs);
      out.writeNumberField("lastFailureMs", lastFailureMs);
      out.writeNumberField("version", version);
      out.writeBooleanField("deleted", deleted);
      out.writeArrayFieldStart("series");
      for (Series s : series.values()) {
        out.writeStartObject();
        out.writeStringField("family", s.family());
        out.writeStringField("name", s.name());
        writeLabels(out, s.labels());
        out.writeStringField("type", s.type().name());
        out.writeStringField("value", Double.toString(s.value()));
        out.writeNumberField("timestamp", s.timestamp());
        out.writeEndObject();
      }
      out.writeEndArray();
      out.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeLabels(JsonGenerator out, Map<String, String> labels)
      throws IOException {
    out.writeObjectFieldStart("labels");
    for (Map.Entry<String, String> label : labels.entrySet()) {
      out.writeStringField(label.getKey(), label.getValue());
    }
    out.writeEndObject();
  }

  /** Reads a state written by {@link #toJson()}. */
  public static GroupState fromJson(byte[] bytes, dev.metricspipeline.schemas.SeriesKey seriesKey)
      throws IOException {
    JsonNode root = JSON.readTree(bytes);
    Map<String, String> keyLabels = new TreeMap<>();
    root.path("labels").properties().forEach(e -> keyLabels.put(e.getKey(), e.getValue().asText()));
    Map<String, Series> series = new LinkedHashMap<>();
    List<JsonNode> nodes = new ArrayList<>();
    root.path("series").forEach(nodes::add);
    for (JsonNode node : nodes) {
      Map<String, String> labels = new TreeMap<>();
      node.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
      Series s =
          new Series(
              node.path("family").asText(),
              node.path("name").asText(),
              labels,
              SampleType.valueOf(node.path("type").asText("UNTYPED")),
              Double.parseDouble(node.path("value").asText("NaN")),
              node.path("timestamp").asLong());
      series.put(seriesKey.idOf(s.name(), s.labels()), s);
    }
    return new GroupState(
        new GroupingKey(new TreeMap<>(keyLabels)),
        series,
        root.path("lastPushMs").asLong(),
        root.path("lastFailureMs").asLong(),
        root.path("version").asLong(),
        root.path("deleted").asBoolean(false));
  }

  /**
   * The {@code version} of a state written by {@link #toJson()}, read without building its series:
   * {@link #toJson()} writes the version before the series, so a mirror can skip a state it holds
   * already (its own writes, read back) at the cost of a few fields. Fields of any other order are
   * skipped over, not parsed into a tree.
   *
   * @return the version, or 0 (older than any written) if there is none
   * @throws IOException if the bytes are not a JSON object
   */
  public static long versionOf(byte[] bytes) throws IOException {
    try (JsonParser parser = JSON.getFactory().createParser(bytes)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a push group state: it does not start with a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        parser.nextToken();
        if (field.equals("version")) {
          return parser.getValueAsLong();
        }
        parser.skipChildren();
      }
      return 0;
    }
  }

  /** The Prometheus family type of a sample type: counter, gauge, histogram, ... */
  public static String familyType(SampleType type) {
    return switch (type) {
      case COUNTER -> "counter";
      case GAUGE -> "gauge";
      case HISTOGRAM_BUCKET, HISTOGRAM_SUM, HISTOGRAM_COUNT -> "histogram";
      case GAUGE_HISTOGRAM_BUCKET, GAUGE_HISTOGRAM_GSUM, GAUGE_HISTOGRAM_GCOUNT -> "gaugehistogram";
      case SUMMARY_QUANTILE, SUMMARY_SUM, SUMMARY_COUNT -> "summary";
      case INFO -> "info";
      case STATESET -> "stateset";
      case CREATED -> "created";
      default -> "untyped";
    };
  }
}
