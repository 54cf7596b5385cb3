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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

  /**
   * One series of the group. Equal by its six fields. One made with {@code keepsHead} also keeps
   * the start of its JSON object in the group topic ({@link #toJson()}: family, name, labels and
   * type) once it is written, and hands it on by {@link #next} to the same series' next sample, so
   * a group pushed again with the same series writes their labels as a copy. Only the series a push
   * memo holds keep it: the others would hold ~250 bytes each for nothing.
   */
  public static final class Series {
    private final String family;
    private final String name;
    private final Map<String, String> labels;
    private final SampleType type;
    private final double value;
    private final long timestamp;

    /** Whether {@link #head} is kept once worked out. */
    private final boolean keepsHead;

    /** The JSON before {@code "value"}, or null until first written (or when not kept). */
    private volatile byte[] head;

    public Series(
        String family,
        String name,
        Map<String, String> labels,
        SampleType type,
        double value,
        long timestamp) {
      this(family, name, labels, type, value, timestamp, false);
    }

    /**
     * As the public constructor.
     *
     * @param keepsHead whether the series keeps its JSON head once written and hands it on by
     *     {@link #next}: true for the series a push memo holds
     */
    Series(
        String family,
        String name,
        Map<String, String> labels,
        SampleType type,
        double value,
        long timestamp,
        boolean keepsHead) {
      this.family = family;
      this.name = name;
      this.labels = labels;
      this.type = type;
      this.value = value;
      this.timestamp = timestamp;
      this.keepsHead = keepsHead;
    }

    /** This series with another value and timestamp, with its JSON head if it keeps one. */
    public Series next(double value, long timestamp) {
      Series next = new Series(family, name, labels, type, value, timestamp, keepsHead);
      next.head = head;
      return next;
    }

    public String family() {
      return family;
    }

    public String name() {
      return name;
    }

    public Map<String, String> labels() {
      return labels;
    }

    public SampleType type() {
      return type;
    }

    public double value() {
      return value;
    }

    public long timestamp() {
      return timestamp;
    }

    /** {@code {"family":..,"name":..,"labels":{..},"type":".."}} without its closing brace. */
    private byte[] head() {
      byte[] h = head;
      if (h == null) {
        StringBuilder json = new StringBuilder(64 + 32 * labels.size());
        json.append("{\"family\":");
        quote(json, family);
        json.append(",\"name\":");
        quote(json, name);
        json.append(",\"labels\":{");
        boolean first = true;
        for (Map.Entry<String, String> label : labels.entrySet()) {
          if (!first) {
            json.append(',');
          }
          first = false;
          quote(json, label.getKey());
          json.append(':');
          quote(json, label.getValue());
        }
        json.append("},\"type\":");
        quote(json, type.name());
        h = json.toString().getBytes(StandardCharsets.UTF_8);
        if (keepsHead) {
          head = h;
        }
      }
      return h;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Series s
          && family.equals(s.family)
          && name.equals(s.name)
          && labels.equals(s.labels)
          && type == s.type
          && Double.compare(value, s.value) == 0
          && timestamp == s.timestamp;
    }

    @Override
    public int hashCode() {
      return Objects.hash(family, name, labels, type, value, timestamp);
    }

    @Override
    public String toString() {
      return "Series[family="
          + family
          + ", name="
          + name
          + ", labels="
          + labels
          + ", type="
          + type
          + ", value="
          + value
          + ", timestamp="
          + timestamp
          + "]";
    }
  }

  /**
   * The state as the group topic holds it: {@code labels}, {@code lastPushMs}, {@code
   * lastFailureMs}, {@code version}, {@code deleted}, then {@code series}, in that order ({@link
   * #versionOf} relies on the version coming before the series). Streamed out, with no tree in
   * between, each series from its cached head ({@link Series}): a group of 1,000 series is written
   * on every push.
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
      // The series are written past the generator, each its head (cached) and its value: the
      // generator's array stays empty, so it adds no separator, and closes it after them.
      out.flush();
      bytes.write(seriesJson());
      out.writeEndArray();
      out.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static final byte[] VALUE = ",\"value\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TIMESTAMP = "\",\"timestamp\":".getBytes(StandardCharsets.US_ASCII);

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /**
   * Appends {@code text} as a JSON string, escaped as Jackson's generator escapes it (so the bytes
   * are the ones {@code toJson} always wrote): the quote, the backslash, the control characters
   * (with JSON's short escape where it has one) and each half of a surrogate pair (Jackson 2 writes
   * a character beyond the BMP as two escapes), as {@code uXXXX} in upper case; nothing else.
   */
  static void quote(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\f' -> out.append("\\f");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20 || Character.isSurrogate(c)) {
            out.append("\\u")
                .append(HEX[c >> 12])
                .append(HEX[(c >> 8) & 0xF])
                .append(HEX[(c >> 4) & 0xF])
                .append(HEX[c & 0xF]);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** The series array's elements, comma-separated, each its head then its value and timestamp. */
  private byte[] seriesJson() {
    byte[][] heads = new byte[series.size()][];
    int size = 0;
    int i = 0;
    for (Series s : series.values()) {
      heads[i] = s.head();
      size += heads[i++].length + VALUE.length + TIMESTAMP.length + 48;
    }
    byte[] buf = new byte[size];
    int at = 0;
    i = 0;
    for (Series s : series.values()) {
      if (at > 0) {
        buf[at++] = ',';
      }
      byte[] head = heads[i++];
      System.arraycopy(head, 0, buf, at, head.length);
      at += head.length;
      System.arraycopy(VALUE, 0, buf, at, VALUE.length);
      at = ascii(buf, at + VALUE.length, Double.toString(s.value()));
      System.arraycopy(TIMESTAMP, 0, buf, at, TIMESTAMP.length);
      at = ascii(buf, at + TIMESTAMP.length, Long.toString(s.timestamp()));
      buf[at++] = '}';
    }
    return Arrays.copyOf(buf, at);
  }

  /**
   * Puts a number's text, which is ASCII and at most 24 chars (digits, sign, '.', 'E', "NaN",
   * "Infinity"), at {@code at}; returns the index after it.
   */
  private static int ascii(byte[] buf, int at, String text) {
    for (int i = 0; i < text.length(); i++) {
      buf[at++] = (byte) text.charAt(i);
    }
    return at;
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
