package dev.metricspipeline.schemas;

import dev.metricspipeline.schemas.avro.SampleBatch;
import java.util.List;

/**
 * The pipeline's topic names and the Schema Registry subjects derived from them.
 *
 * <p>Subjects follow Confluent's TopicNameStrategy: {@code <topic>-value} and {@code <topic>-key},
 * so stock Avro deserializers find our schemas; sample batches are the one exception ({@link
 * #sampleBatchSubject}). A deserializer finds the schema by the id in each record, whatever the
 * subject.
 */
public final class Topics {

  /**
   * Normalized samples from every ingest path: Avro {@code SampleBatch} records (no key; the
   * pipeline's own producers) and single {@code MetricSample} records keyed by series id (other
   * producers, the normalizer). {@code serde.SamplesDeserializer} reads both.
   */
  public static final String SAMPLES = "metrics.samples";

  /** Records refused after they reached Kafka, Avro {@code Rejected}. */
  public static final String REJECTED = "metrics.rejected";

  /** Prefix of the rollup topics, one per resolution: {@code metrics.rollups.1m}. */
  public static final String ROLLUPS_PREFIX = "metrics.rollups.";

  /** The rollup resolutions created by default. */
  public static final List<String> DEFAULT_RESOLUTIONS = List.of("1m", "5m", "1h");

  /** Raw input topics read by the Kafka ingest stage, one per format. */
  public static final List<String> RAW_INPUTS =
      List.of(
          "metrics.in.influx",
          "metrics.in.prometheus",
          "metrics.in.remote-write",
          "metrics.in.pka-json");

  private Topics() {}

  /** The rollup topic of a resolution such as {@code 1m}. */
  public static String rollups(String resolution) {
    return ROLLUPS_PREFIX + resolution;
  }

  /** The value subject of a topic (TopicNameStrategy). */
  public static String valueSubject(String topic) {
    return topic + "-value";
  }

  /**
   * The subject of {@code SampleBatch} records on a samples topic: Confluent's
   * TopicRecordNameStrategy, {@code <topic>-<record full name>}, so it does not share the
   * per-sample records' {@code <topic>-value} history.
   */
  public static String sampleBatchSubject(String topic) {
    return topic + "-" + SampleBatch.getClassSchema().getFullName();
  }

  /** The key subject of a topic (TopicNameStrategy). */
  public static String keySubject(String topic) {
    return topic + "-key";
  }
}
