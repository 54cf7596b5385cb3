package dev.metricspipeline.push.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

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

  /** Copies {@code series} unless it is already a state's (or {@link #adopt}ed) map. */
  public GroupState {
    series = series instanceof SeriesMap held ? held : new SeriesMap(new LinkedHashMap<>(series));
  }

  /**
   * {@code series} as a state's map, without copying it: for a map made to be the next state's,
   * which its maker must not change afterwards. A group of 1,000 series is a new state on every
   * push.
   */
  static Map<String, Series> adopt(LinkedHashMap<String, Series> series) {
    return new SeriesMap(series);
  }

  /**
   * A state's series in their order, which no one can change through it: a later state (a refused
   * push's, say) takes it as it is.
   */
  private static final class SeriesMap extends AbstractMap<String, Series> {
    private final Map<String, Series> view;

    SeriesMap(LinkedHashMap<String, Series> owned) {
      this.view = Collections.unmodifiableMap(owned);
    }

    @Override
    public Set<Map.Entry<String, Series>> entrySet() {
      return view.entrySet();
    }

    @Override
    public Set<String> keySet() {
      return view.keySet();
    }

    @Override
    public Collection<Series> values() {
      return view.values();
    }

    @Override
    public int size() {
      return view.size();
    }

    @Override
    public Series get(Object id) {
      return view.get(id);
    }

    @Override
    public boolean containsKey(Object id) {
      return view.containsKey(id);
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super Series> action) {
      view.forEach(action);
    }
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

    /**
     * Writes {@code {"family":..,"name":..,"labels":{..},"type":".."}} without its closing brace:
     * the head it keeps, else worked out (and kept if it keeps one).
     */
    private void writeHead(JsonBytes out) {
      byte[] h = head;
      if (h != null) {
        out.raw(h);
        return;
      }
      int start = out.size();
      out.ascii("{\"family\":").quote(family).ascii(",\"name\":").quote(name);
      out.ascii(",\"labels\":");
      writeLabels(out, labels);
      out.ascii(",\"type\":").quote(type.name());
      if (keepsHead) {
        head = out.copy(start);
      }
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
   * #versionOf} relies on the version coming before the series). Written straight to bytes, with no
   * tree or generator in between, each series from its kept head if it has one ({@link Series}): a
   * group of 1,000 series is written on every push. The bytes are the ones Jackson's generator
   * wrote for the same document (every release before this one did), strings escaped as it escapes
   * them ({@link JsonBytes#quote}).
   */
  public byte[] toJson() {
    JsonBytes out = JsonBytes.scratch();
    out.ascii("{\"labels\":");
    writeLabels(out, key.labels());
    out.ascii(",\"lastPushMs\":").ascii(Long.toString(lastPushMs));
    out.ascii(",\"lastFailureMs\":").ascii(Long.toString(lastFailureMs));
    out.ascii(",\"version\":").ascii(Long.toString(version));
    out.ascii(deleted ? ",\"deleted\":true" : ",\"deleted\":false").ascii(",\"series\":[");
    boolean first = true;
    for (Series s : series.values()) {
      if (!first) {
        out.ascii(",");
      }
      first = false;
      s.writeHead(out);
      out.ascii(",\"value\":\"").ascii(Double.toString(s.value()));
      out.ascii("\",\"timestamp\":").ascii(Long.toString(s.timestamp())).ascii("}");
    }
    out.ascii("]}");
    return out.release();
  }

  /** Writes labels as a JSON object of strings, in their map's order. */
  private static void writeLabels(JsonBytes out, Map<String, String> labels) {
    out.ascii("{");
    boolean first = true;
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (!first) {
        out.ascii(",");
      }
      first = false;
      out.quote(label.getKey()).ascii(":").quote(label.getValue());
    }
    out.ascii("}");
  }

  /** A JSON document as UTF-8 bytes, written in place into an array that grows as needed. */
  static final class JsonBytes {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    /** The most a thread's scratch array keeps between documents: 1 MiB. */
    static final int SCRATCH_KEPT = 1 << 20;

    private static final ThreadLocal<JsonBytes> SCRATCH =
        ThreadLocal.withInitial(() -> new JsonBytes(64 << 10));

    private byte[] buf;
    private int size;

    JsonBytes(int capacity) {
      buf = new byte[Math.max(capacity, 16)];
    }

    /**
     * This thread's scratch document, emptied: a group's state is written on every push, so its
     * array is reused rather than made (and grown) each time. Give it back with {@link #release}.
     */
    static JsonBytes scratch() {
      JsonBytes out = SCRATCH.get();
      out.size = 0;
      return out;
    }

    /**
     * The scratch document's bytes, copied out; an array grown beyond {@link #SCRATCH_KEPT} is
     * dropped so that one large group does not pin it to the thread.
     */
    byte[] release() {
      byte[] bytes = toByteArray();
      if (buf.length > SCRATCH_KEPT) {
        buf = new byte[64 << 10];
      }
      size = 0;
      return bytes;
    }

    int size() {
      return size;
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    JsonBytes raw(byte[] bytes) {
      ensure(bytes.length);
      System.arraycopy(bytes, 0, buf, size, bytes.length);
      size += bytes.length;
      return this;
    }

    /** Writes text that is ASCII and needs no escaping (JSON punctuation, numbers, names). */
    JsonBytes ascii(String text) {
      ensure(text.length());
      for (int i = 0; i < text.length(); i++) {
        buf[size++] = (byte) text.charAt(i);
      }
      return this;
    }

    /**
     * Writes {@code text} as a JSON string, escaped as Jackson's generator escapes it: the quote,
     * the backslash, the control characters (with JSON's short escape where it has one) and each
     * half of a surrogate pair (Jackson 2 writes a character beyond the BMP as two escapes), as
     * {@code uXXXX} in upper case; every other character as its UTF-8 bytes.
     */
    JsonBytes quote(String text) {
      ensure(6 * text.length() + 2); // the longest a char becomes: an escape of 6 bytes
      byte[] b = buf;
      int at = size;
      b[at++] = '"';
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
          b[at++] = (byte) c;
        } else if (c >= 0x80 && !Character.isSurrogate(c)) {
          if (c < 0x800) {
            b[at++] = (byte) (0xC0 | (c >> 6));
          } else {
            b[at++] = (byte) (0xE0 | (c >> 12));
            b[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          }
          b[at++] = (byte) (0x80 | (c & 0x3F));
        } else {
          b[at++] = '\\';
          switch (c) {
            case '"' -> b[at++] = '"';
            case '\\' -> b[at++] = '\\';
            case '\b' -> b[at++] = 'b';
            case '\t' -> b[at++] = 't';
            case '\n' -> b[at++] = 'n';
            case '\f' -> b[at++] = 'f';
            case '\r' -> b[at++] = 'r';
            default -> {
              b[at++] = 'u';
              b[at++] = HEX[c >> 12];
              b[at++] = HEX[(c >> 8) & 0xF];
              b[at++] = HEX[(c >> 4) & 0xF];
              b[at++] = HEX[c & 0xF];
            }
          }
        }
      }
      b[at++] = '"';
      size = at;
      return this;
    }

    /** The bytes written since {@code start}. */
    byte[] copy(int start) {
      return Arrays.copyOfRange(buf, start, size);
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, size);
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
