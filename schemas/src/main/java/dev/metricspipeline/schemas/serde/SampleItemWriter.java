package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.avro.MetricSample;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryData;

/**
 * Writes a {@link MetricSample} as a {@code SampleBatch} item, in Avro's binary encoding, field by
 * field for the one schema it knows, into a growing byte array of its own.
 *
 * <p>Why not Avro's {@code SpecificDatumWriter}: under remote_write at 366k samples/s the gateway's
 * workers spent 43% of their time in it, most of that in its per-field dispatch (field lookup,
 * union resolution, a synchronized {@code ByteArrayOutputStream} per byte run) rather than in the
 * bytes. The output is the same, byte for byte: {@code SampleItemWriterTest} compares it with the
 * stock writer on varied samples, and the class refuses to load if {@code MetricSample}'s fields
 * are not the ones it writes (a new schema version must change this class, and its test, with it).
 *
 * <p>An item is a head (name, labels), a middle (type, value, timestamps) and a tail (origin, the
 * push and scrape fields, the series id). Head and id are the same for every sample of one series,
 * and the source fields for every sample of one request or scrape, so an {@link EncodedSeries}
 * keeps head and id encoded (with the source fields, when it is made for one source), only the
 * middle is written per sample, and source fields equal by identity to the last ones written are
 * copied from them.
 *
 * <p>Not thread-safe: one per call of {@link SampleBatchEncoder#items}.
 */
final class SampleItemWriter {

  /** The fields written, in order, then the series id (the item's last field). */
  private static final List<String> FIELDS =
      List.of(
          "name",
          "labels",
          "type",
          "value",
          "timestamp",
          "ingestTimestamp",
          "origin",
          "pushGroup",
          "pushId",
          "scrapeTarget",
          "scraperReplica",
          "source",
          "seriesId");

  static {
    checkFields(MetricSample.getClassSchema());
  }

  /**
   * Fails unless {@code schema}'s fields are the ones written here, in this order ({@link
   * SampleBatchReader} reads the same ones).
   */
  static void checkFields(Schema schema) {
    List<String> actual = schema.getFields().stream().map(Schema.Field::name).toList();
    if (!actual.equals(FIELDS)) {
      throw new IllegalStateException(
          "MetricSample's fields are " + actual + "; SampleItemWriter writes " + FIELDS);
    }
  }

  /**
   * The most bytes {@link #middle} writes: the type's index (1), the value (8), two timestamps (10
   * each as varints).
   */
  static final int MIDDLE_MAX_BYTES = 1 + 8 + 10 + 10;

  private byte[] buf;
  private int size;

  /** The last source fields written, and where in {@link #buf} their bytes are. */
  private SampleSource lastSource;

  private int lastSourceFrom;
  private int lastSourceTo;

  SampleItemWriter(int capacity) {
    buf = new byte[Math.max(64, capacity)];
  }

  /** Appends one item: the sample's fields without its own {@code seriesId}, then {@code id}. */
  void write(MetricSample s, byte[] id) {
    head(s);
    middle(s);
    tail(s, id);
  }

  /**
   * Appends one item with its series' encoded id, copying the series' encoded head when the
   * sample's name and labels map are the very objects the series was encoded from ({@link
   * EncodedSeries#describes}), and its encoded source fields when the sample's are the series' very
   * ones; whatever is not copied is written (source fields perhaps copied from the last ones, see
   * {@link #source}). The same bytes either way.
   */
  void write(MetricSample s, EncodedSeries series) {
    if (series.describes(s)) {
      putBytes(series.head());
    } else {
      head(s);
    }
    middle(s);
    if (series.hasSourceOf(s)) {
      putBytes(series.source());
    } else {
      source(s);
    }
    putBytes(series.idField());
  }

  /** The fields that are the same for every sample of one series from one source: name, labels. */
  void head(MetricSample s) {
    string(s.getName());
    Map<String, String> labels = s.getLabels();
    if (!labels.isEmpty()) {
      varlong(labels.size()); // one block holding every entry
      for (Map.Entry<String, String> label : labels.entrySet()) {
        string(label.getKey());
        string(label.getValue());
      }
    }
    varlong(0); // end of the map
  }

  /** The fields each sample has its own of: type, value, timestamp, ingest timestamp. */
  private void middle(MetricSample s) {
    varlong(s.getType().ordinal());
    ensure(8);
    size += BinaryData.encodeDouble(s.getValue(), buf, size);
    varlong(s.getTimestamp());
    varlong(s.getIngestTimestamp());
  }

  /** The source fields, then the series id: the same for every sample of one series. */
  void tail(MetricSample s, byte[] id) {
    source(s);
    idField(id);
  }

  /**
   * The source fields: origin, push group and id, scrape target, scraper replica, source. The
   * samples of one request or scrape share them, so when they are the very objects of the last
   * source written here (identity, not equality) that one's bytes are copied instead.
   */
  void source(MetricSample s) {
    if (lastSource != null && lastSource.isOf(s)) {
      int length = lastSourceTo - lastSourceFrom;
      ensure(length);
      System.arraycopy(buf, lastSourceFrom, buf, size, length);
      lastSourceFrom = size;
      size += length;
      lastSourceTo = size;
      return;
    }
    lastSourceFrom = size;
    varlong(s.getOrigin().ordinal());
    optional(s.getPushGroup());
    optional(s.getPushId());
    optional(s.getScrapeTarget());
    optional(s.getScraperReplica());
    optional(s.getSource());
    lastSourceTo = size;
    lastSource = SampleSource.of(s);
  }

  /** The series id, the item's last field: the string branch of its union, then the string. */
  void idField(byte[] id) {
    varlong(1);
    varlong(id.length);
    putBytes(id);
  }

  private void putBytes(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, size, bytes.length);
    size += bytes.length;
  }

  int size() {
    return size;
  }

  /** A copy of the bytes written so far. */
  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  /** The bytes written so far: the array itself, valid up to {@link #size()}. */
  byte[] buffer() {
    return buf;
  }

  private void optional(String s) {
    if (s == null) {
      varlong(0);
    } else {
      varlong(1);
      string(s);
    }
  }

  /** Length, then UTF-8: ASCII copied char by char, anything else through the JDK's encoder. */
  private void string(String s) {
    int n = s.length();
    boolean ascii = true;
    for (int i = 0; i < n && ascii; i++) {
      ascii = s.charAt(i) < 0x80;
    }
    if (ascii) {
      varlong(n);
      ensure(n);
      for (int i = 0; i < n; i++) {
        buf[size++] = (byte) s.charAt(i);
      }
    } else {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      varlong(bytes.length);
      putBytes(bytes);
    }
  }

  /** Avro's long (and int, enum index, length and count): zig-zag varint. */
  private void varlong(long v) {
    ensure(10);
    size += BinaryData.encodeLong(v, buf, size);
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
