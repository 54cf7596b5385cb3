package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.MetricSamples;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleBatch;
import dev.metricspipeline.schemas.avro.SampleType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Reads the body of a {@code SampleBatch} written with today's schema, field by field: the reading
 * counterpart of {@link SampleItemWriter}, used by {@link SamplesDeserializer} when a record's
 * writer schema is {@link SampleBatch}'s own (any other schema goes through Avro's resolving
 * reader).
 *
 * <p>Why not Avro's {@code SpecificDatumReader}: it resolves every field through a generic
 * decoder's action table and builds each string through a {@code Utf8}, which the stream thread
 * pays per sample. The result is the same: {@code SampleBatchReaderTest} reads varied batches with
 * both and compares the samples, and refuses the same malformed input (as a {@link
 * IllegalArgumentException} here, which the deserializer reports as a {@code
 * SerializationException}). Blocks with a negative count (followed by their size in bytes), which
 * other Avro writers may use for arrays and maps, are read too.
 *
 * <p>A string equal, byte for byte, to the last one read at the same place of an earlier sample of
 * the record (the name, a label key or value at its position, the push group, push id, target,
 * replica or source) is that {@code String} again rather than a new one: the samples of one push or
 * scrape share most of them, and a shared string also keeps its cached hash for the stage's label
 * maps. The series id, different for every sample, is always new. Strings are immutable, so nothing
 * can tell a shared one from a copy but {@code ==}.
 *
 * <p>Not thread-safe: one per record.
 */
final class SampleBatchReader {

  private static final SampleType[] TYPES = SampleType.values();
  private static final Origin[] ORIGINS = Origin.values();
  private static final String TODAYS_FORM =
      SchemaNormalization.toParsingForm(SampleBatch.getClassSchema());
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  static {
    // The fields read, in order, are SampleItemWriter's: the same check keeps both in step.
    SampleItemWriter.checkFields(MetricSample.getClassSchema());
  }

  // Where the last string read at each place came from: the name, the five optional
  // strings before the series id, then a key and a value for each of the first LABEL_PLACES label
  // positions (a map's entries come in the order its writer iterated them: sorted for the sorted
  // label maps of the gateway, and the same for two hash maps of the same keys).
  private static final int NAME = 0;
  private static final int OPTIONALS = 1;
  private static final int LABELS = OPTIONALS + 5;
  private static final int LABEL_PLACES = 16;
  private static final int NOT_SHARED = -1;

  private final byte[] buf;
  private final int end;
  private int pos;

  /** Per place, the last string read there and where its bytes are in {@link #buf}. */
  private final String[] lastString = new String[LABELS + 2 * LABEL_PLACES];

  private final int[] lastFrom = new int[lastString.length];
  private final int[] lastTo = new int[lastString.length];

  private SampleBatchReader(byte[] buf, int from, int end) {
    this.buf = buf;
    this.pos = from;
    this.end = end;
  }

  /**
   * Whether records written with {@code writer} can be read here rather than resolved: those whose
   * Parsing Canonical Form (the Avro spec's: names, types, fields and symbols in order; no docs,
   * defaults or properties) is today's, which is exactly when their bytes are laid out alike. A
   * registry may hand back the schema reformatted or without its docs.
   */
  static boolean reads(Schema writer) {
    return SchemaNormalization.toParsingForm(writer).equals(TODAYS_FORM);
  }

  /**
   * The samples of the batch in {@code buf[from, end)}.
   *
   * @throws IllegalArgumentException if the bytes are not a whole batch of today's schema
   */
  static List<MetricSample> read(byte[] buf, int from, int end) {
    SampleBatchReader in = new SampleBatchReader(buf, from, end);
    List<MetricSample> samples = new ArrayList<>(0);
    for (long n = in.blockCount(); n != 0; n = in.blockCount()) {
      in.room(n); // every item takes at least one byte
      samples = samples.isEmpty() ? new ArrayList<>((int) n) : samples;
      for (long i = 0; i < n; i++) {
        samples.add(in.sample());
      }
    }
    return samples; // bytes after the batch are ignored, as Avro's reader ignores them
  }

  private MetricSample sample() {
    String name = string(NAME);
    Map<String, String> labels = labels();
    SampleType type = TYPES[index(TYPES.length, "SampleType")];
    double value = doubleValue();
    long timestamp = varlong();
    long ingestTimestamp = varlong();
    Origin origin = ORIGINS[index(ORIGINS.length, "Origin")];
    return MetricSamples.of(
        name,
        labels,
        type,
        value,
        timestamp,
        ingestTimestamp,
        origin,
        optional(OPTIONALS),
        optional(OPTIONALS + 1),
        optional(OPTIONALS + 2),
        optional(OPTIONALS + 3),
        optional(OPTIONALS + 4),
        optional(NOT_SHARED));
  }

  private Map<String, String> labels() {
    Map<String, String> labels = null;
    for (long n = blockCount(); n != 0; n = blockCount()) {
      room(n * 2); // a key and a value of at least one byte each
      if (labels == null) {
        labels = new HashMap<>((int) (n * 4 / 3 + 1));
      }
      for (long i = 0; i < n; i++) {
        int place = labels.size() < LABEL_PLACES ? LABELS + 2 * labels.size() : NOT_SHARED;
        String key = string(place);
        labels.put(key, string(place == NOT_SHARED ? NOT_SHARED : place + 1));
      }
    }
    return labels == null ? new HashMap<>(0) : labels;
  }

  /** A union of null and string: branch 0 is null, 1 a string (shared by {@code place}). */
  private String optional(int place) {
    long branch = varlong();
    if (branch == 0) {
      return null;
    }
    if (branch != 1) {
      throw new IllegalArgumentException("union branch " + branch + " of [null, string]");
    }
    return string(place);
  }

  /**
   * A string; the one last read at {@code place} if its bytes are the same ({@link #NOT_SHARED}:
   * always a new one).
   */
  private String string(int place) {
    long length = varlong();
    if (length < 0 || length > end - pos) {
      throw new IllegalArgumentException(
          "string of " + length + " bytes with " + (end - pos) + " left");
    }
    int from = pos;
    int to = from + (int) length;
    pos = to;
    if (place == NOT_SHARED) {
      return new String(buf, from, to - from, StandardCharsets.UTF_8);
    }
    String last = lastString[place];
    if (last != null && Arrays.equals(buf, lastFrom[place], lastTo[place], buf, from, to)) {
      return last; // Arrays.equals compares the lengths first
    }
    String s = new String(buf, from, to - from, StandardCharsets.UTF_8);
    lastString[place] = s;
    lastFrom[place] = from;
    lastTo[place] = to;
    return s;
  }

  private int index(int symbols, String what) {
    long i = varlong();
    if (i < 0 || i >= symbols) {
      throw new IllegalArgumentException(what + " index " + i + " out of 0.." + (symbols - 1));
    }
    return (int) i;
  }

  private double doubleValue() {
    if (end - pos < 8) {
      throw new IllegalArgumentException("a double with " + (end - pos) + " bytes left");
    }
    double d = Double.longBitsToDouble((long) LONGS.get(buf, pos));
    pos += 8;
    return d;
  }

  /** An array or map block's item count; a negative count is followed by the block's size. */
  private long blockCount() {
    long n = varlong();
    if (n < 0) {
      n = -n;
      long size = varlong(); // the block's size in bytes: not needed to read it, but checked
      if (size < 0) {
        throw new IllegalArgumentException("a block's byte size is negative: " + size);
      }
    }
    return n;
  }

  /** Fails unless at least {@code bytes} bytes are left (guards a count before allocating). */
  private void room(long bytes) {
    if (bytes < 0 || bytes > end - pos) {
      throw new IllegalArgumentException(
          "a block of " + bytes + " bytes at least with " + (end - pos) + " left");
    }
  }

  /** Avro's zig-zag varint long. */
  private long varlong() {
    long raw = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) {
        throw new IllegalArgumentException("a number cut off at the end of the record");
      }
      byte b = buf[pos++];
      raw |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new IllegalArgumentException("a number longer than 10 bytes");
  }
}
