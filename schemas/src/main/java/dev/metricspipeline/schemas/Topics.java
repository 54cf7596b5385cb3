package dev.metricspipeline.schemas;

import java.util.List;

/**
 * The pipeline's topic names and the Schema Registry subjects derived from them.
 *
 * <p>Subjects follow Confluent's TopicNameStrategy: {@code <topic>-value} and {@code <topic>-key},
 * so stock Avro deserializers find our schemas.
 */
public final class Topics {

  /** Normalized samples from every ingest path, Avro {@code MetricSample}, key = series id. */
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

  /** The key subject of a topic (TopicNameStrategy). */
  public static String keySubject(String topic) {
    return topic + "-key";
  }
}
