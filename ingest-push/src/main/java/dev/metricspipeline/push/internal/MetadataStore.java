package dev.metricspipeline.push.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metricspipeline.formats.proto.remote.Remote.MetricMetadata;
import dev.metricspipeline.schemas.MetricsPublisher.SideRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest metadata (type, help, unit) of each metric family that remote_write senders sent, so
 * their samples are typed although Prometheus sends metadata in requests of their own. Kept in the
 * compacted topic {@code metrics.metadata} (key: the family name; value: JSON such as {@code
 * {"type":"counter","help":"...","unit":""}}), written in the same transaction as the request that
 * brought a change, and mirrored by every gateway instance, so it is shared and survives restarts.
 * Thread-safe.
 */
public final class MetadataStore {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One family's metadata. */
  record Entry(MetricMetadata.MetricType type, String help, String unit) {}

  private final Map<String, Entry> families = new ConcurrentHashMap<>();

  /** The family's type, or null when no metadata for it was seen. */
  public MetricMetadata.MetricType type(String family) {
    Entry entry = families.get(family);
    return entry == null ? null : entry.type();
  }

  /** Families known. */
  public int size() {
    return families.size();
  }

  /**
   * The records that bring {@code topic} up to date with the request's metadata: one per family
   * whose type, help or unit differs from what is known (usually none: Prometheus re-sends the same
   * metadata every minute).
   */
  public List<SideRecord> changes(String topic, List<MetricMetadata> metadata) {
    List<SideRecord> out = new ArrayList<>();
    Map<String, Entry> seen = new java.util.HashMap<>();
    for (MetricMetadata m : metadata) {
      String family = m.getMetricFamilyName();
      Entry entry = new Entry(m.getType(), m.getHelp(), m.getUnit());
      if (family.isEmpty()
          || entry.equals(families.get(family))
          || entry.equals(seen.get(family))) {
        continue;
      }
      seen.put(family, entry);
      out.add(new SideRecord(topic, family, toJson(entry)));
    }
    return out;
  }

  /** Takes the records as the topic will hold them, once they are committed. */
  public void putAll(List<SideRecord> committed) throws IOException {
    for (SideRecord record : committed) {
      apply(record.key(), record.value());
    }
  }

  /** Applies one record of the topic; a null value (tombstone) forgets the family. */
  public void apply(String family, byte[] value) throws IOException {
    if (value == null) {
      families.remove(family);
      return;
    }
    JsonNode node = JSON.readTree(value);
    String type = node.path("type").asText("unknown").toUpperCase(Locale.ROOT);
    MetricMetadata.MetricType parsed;
    try {
      parsed = MetricMetadata.MetricType.valueOf(type);
    } catch (IllegalArgumentException e) {
      throw new IOException("unknown metric type \"" + type + "\" for family " + family, e);
    }
    families.put(
        family, new Entry(parsed, node.path("help").asText(""), node.path("unit").asText("")));
  }

  static byte[] toJson(Entry entry) {
    ObjectNode node =
        JSON.createObjectNode()
            .put("type", entry.type().name().toLowerCase(Locale.ROOT))
            .put("help", entry.help())
            .put("unit", entry.unit());
    return node.toString().getBytes(StandardCharsets.UTF_8);
  }
}
