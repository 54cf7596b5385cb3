package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.avro.MetricSample;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.utils.Utils;

/**
 * A series' share of its samples' {@code SampleBatch} items, encoded once: the name and labels
 * before each sample's own fields, the series id after them (and, for a series of one source, the
 * origin, push and scrape fields before the id), and the id's hash that picks the partition. {@link
 * SampleBatchEncoder#encodedItems} then writes a sample of the series as copies and its type, value
 * and timestamps, instead of every string of it.
 *
 * <p>For a caller that sends the same series again and again from objects it keeps, as the scraper
 * does from its scrape cache and the push gateway from its remote_write series cache: a sample's
 * name and labels are copied from the series only when they are the <em>very objects</em> (not
 * equal ones) the series was made from, and written otherwise, with the series' id either way, so
 * the bytes never depend on which way was taken. The labels map must therefore not change after it
 * is given here: pass an unmodifiable one.
 *
 * <p>Two kinds: {@link #of(MetricSample, String)} keeps a sample's source fields too (a scrape
 * target's series: the same target, replica and origin every scrape), and they are copied when a
 * sample's are the very same objects; {@link #of(String, Map, String)} keeps none (a remote_write
 * series: every request has its own push id), and a sample's source fields are written, once per
 * request in practice ({@code SampleItemWriter} copies the previous sample's when they are the same
 * objects).
 *
 * <p>Immutable and thread-safe.
 */
public final class EncodedSeries {

  private final String name;
  private final Map<String, String> labels;
  private final String id;
  private final int hash;
  private final byte[] head;

  /** The source fields kept, and their bytes; both null for a series encoded without them. */
  private final SampleSource source;

  private final byte[] sourceBytes;
  private final byte[] idField;

  /** The bytes of an item written from this series, at most (see {@link #itemBytes}). */
  private final int itemBytes;

  private EncodedSeries(MetricSample prototype, boolean withSource, String id) {
    this.name = prototype.getName();
    this.labels = prototype.getLabels();
    this.id = id;
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    this.hash = Utils.murmur2(idBytes);
    SampleItemWriter out = new SampleItemWriter(64);
    out.head(prototype);
    this.head = out.toByteArray();
    if (withSource) {
      this.source = SampleSource.of(prototype);
      out = new SampleItemWriter(64);
      out.source(prototype);
      this.sourceBytes = out.toByteArray();
    } else {
      this.source = null;
      this.sourceBytes = null;
    }
    out = new SampleItemWriter(64);
    out.idField(idBytes);
    this.idField = out.toByteArray();
    this.itemBytes =
        head.length
            + (sourceBytes == null ? UNKNOWN_SOURCE_BYTES : sourceBytes.length)
            + SampleItemWriter.MIDDLE_MAX_BYTES
            + idField.length;
  }

  /** What {@link #itemBytes} allows for source fields written per sample rather than copied. */
  private static final int UNKNOWN_SOURCE_BYTES = 64;

  /**
   * Encodes the series of {@code prototype} (its name, labels, origin, push and scrape fields; not
   * its type, value or timestamps) under the given id.
   *
   * @param seriesId the series' canonical id, which picks its partition
   */
  public static EncodedSeries of(MetricSample prototype, String seriesId) {
    Objects.requireNonNull(seriesId, "seriesId");
    try {
      return new EncodedSeries(prototype, true, seriesId);
    } catch (RuntimeException e) {
      throw new SerializationException("Cannot serialize MetricSample: " + e.getMessage(), e);
    }
  }

  /**
   * Encodes a series by its name and labels alone, under the given id: a sample's source fields are
   * written with each sample.
   *
   * @param labels the very map the series' samples carry, unmodifiable
   * @param seriesId the series' canonical id, which picks its partition
   */
  public static EncodedSeries of(String name, Map<String, String> labels, String seriesId) {
    Objects.requireNonNull(seriesId, "seriesId");
    MetricSample prototype = new MetricSample();
    prototype.setName(Objects.requireNonNull(name, "name"));
    prototype.setLabels(Objects.requireNonNull(labels, "labels"));
    try {
      return new EncodedSeries(prototype, false, seriesId);
    } catch (RuntimeException e) {
      throw new SerializationException("Cannot serialize MetricSample: " + e.getMessage(), e);
    }
  }

  /** The series id, as given to {@link #of}. */
  public String id() {
    return id;
  }

  /**
   * Whether {@code s} is written from this encoding: its name and labels map are the very objects
   * this series was made from (identity, not equality).
   */
  public boolean describes(MetricSample s) {
    return s.getName() == name && s.getLabels() == labels;
  }

  /**
   * Whether this series keeps its source fields and {@code s}'s origin, push and scrape fields are
   * the very objects it was made from.
   */
  boolean hasSourceOf(MetricSample s) {
    return source != null && source.isOf(s);
  }

  byte[] head() {
    return head;
  }

  /** The source fields' bytes; only when {@link #hasSourceOf} a sample. */
  byte[] source() {
    return sourceBytes;
  }

  /** The series id field's bytes: the union's string branch, the length, the UTF-8. */
  byte[] idField() {
    return idField;
  }

  int hash() {
    return hash;
  }

  /**
   * The size of an item written from this series: exact when the sample's source fields are this
   * series' own, else an estimate (64 bytes for them). The encoder sizes its buffer by it, so a
   * scrape's or request's items are written without the buffer growing (copying) on the way.
   */
  int itemBytes() {
    return itemBytes;
  }
}
