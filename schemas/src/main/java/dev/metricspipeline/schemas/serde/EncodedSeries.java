package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.utils.Utils;

/**
 * A series' share of its samples' {@code SampleBatch} items, encoded once: the name and labels
 * before each sample's own fields, the origin, push and scrape fields and the series id after them,
 * and the id's hash that picks the partition. {@link SampleBatchEncoder#encodedItems} then writes a
 * sample of the series as two copies and its type, value and timestamps, instead of every string of
 * it.
 *
 * <p>For a caller that sends the same series again and again from objects it keeps, as the scraper
 * does from its scrape cache: a sample is written from the series only when its name, labels map,
 * origin and push and scrape fields are the <em>very objects</em> (not equal ones) the series was
 * made from; any other sample is written in full with the series' id, so the bytes never depend on
 * which way was taken. The labels map must therefore not change after {@link #of}: pass an
 * unmodifiable one.
 *
 * <p>Immutable and thread-safe.
 */
public final class EncodedSeries {

  private final String name;
  private final Map<String, String> labels;
  private final Origin origin;
  private final String pushGroup;
  private final String pushId;
  private final String scrapeTarget;
  private final String scraperReplica;
  private final String source;
  private final String id;
  private final byte[] idBytes;
  private final byte[] head;
  private final byte[] tail;
  private final int hash;

  private EncodedSeries(MetricSample prototype, String id) {
    this.name = prototype.getName();
    this.labels = prototype.getLabels();
    this.origin = prototype.getOrigin();
    this.pushGroup = prototype.getPushGroup();
    this.pushId = prototype.getPushId();
    this.scrapeTarget = prototype.getScrapeTarget();
    this.scraperReplica = prototype.getScraperReplica();
    this.source = prototype.getSource();
    this.id = id;
    this.idBytes = id.getBytes(StandardCharsets.UTF_8);
    SampleItemWriter out = new SampleItemWriter(64);
    out.head(prototype);
    this.head = out.toByteArray();
    out = new SampleItemWriter(64);
    out.tail(prototype, idBytes);
    this.tail = out.toByteArray();
    this.hash = Utils.murmur2(idBytes);
  }

  /**
   * Encodes the series of {@code prototype} (its name, labels, origin, push and scrape fields; not
   * its type, value or timestamps) under the given id.
   *
   * @param seriesId the series' canonical id, which picks its partition
   */
  public static EncodedSeries of(MetricSample prototype, String seriesId) {
    Objects.requireNonNull(seriesId, "seriesId");
    try {
      return new EncodedSeries(prototype, seriesId);
    } catch (RuntimeException e) {
      throw new SerializationException("Cannot serialize MetricSample: " + e.getMessage(), e);
    }
  }

  /** The series id, as given to {@link #of}. */
  public String id() {
    return id;
  }

  /**
   * Whether {@code s} is written from this encoding: its name, labels map, origin, push and scrape
   * fields are the very objects this series was made from (identity, not equality).
   */
  public boolean describes(MetricSample s) {
    return s.getName() == name
        && s.getLabels() == labels
        && s.getOrigin() == origin
        && s.getPushGroup() == pushGroup
        && s.getPushId() == pushId
        && s.getScrapeTarget() == scrapeTarget
        && s.getScraperReplica() == scraperReplica
        && s.getSource() == source;
  }

  byte[] idBytes() {
    return idBytes;
  }

  byte[] head() {
    return head;
  }

  byte[] tail() {
    return tail;
  }

  int hash() {
    return hash;
  }
}
