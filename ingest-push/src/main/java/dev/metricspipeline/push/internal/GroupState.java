package dev.metricspipeline.push.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metricspipeline.schemas.avro.SampleType;
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

  public byte[] toJson() {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode labels = root.putObject("labels");
    key.labels().forEach(labels::put);
    root.put("lastPushMs", lastPushMs);
    root.put("lastFailureMs", lastFailureMs);
    root.put("version", version);
    root.put("deleted", deleted);
    ArrayNode list = root.putArray("series");
    for (Series s : series.values()) {
      ObjectNode node = list.addObject();
      node.put("family", s.family()).put("name", s.name());
      ObjectNode l = node.putObject("labels");
      s.labels().forEach(l::put);
      node.put("type", s.type().name())
          .put("value", Double.toString(s.value()))
          .put("timestamp", s.timestamp());
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
