package dev.metricspipeline.launcher.internal;

import dev.metricspipeline.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics of ARCHITECTURE.md that are missing; existing ones are left as they are (their
 * partition count is never changed, since that would move series between partitions).
 */
public final class PipelineTopics {

  private static final Logger LOG = LoggerFactory.getLogger(PipelineTopics.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private PipelineTopics() {}

  /** The topics the pipeline needs, with their settings. */
  public static List<NewTopic> all(int partitions, short replication) {
    List<NewTopic> topics = new ArrayList<>();
    Map<String, String> week =
        Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(Duration.ofDays(7).toMillis()));
    topics.add(topic(Topics.SAMPLES, partitions, replication, week));
    for (String resolution : Topics.DEFAULT_RESOLUTIONS) {
      topics.add(topic(Topics.rollups(resolution), partitions, replication, week));
    }
    topics.add(
        topic(
            Topics.REJECTED,
            1,
            replication,
            Map.of(
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(Duration.ofDays(14).toMillis()))));
    for (String raw : Topics.RAW_INPUTS) {
      topics.add(topic(raw, partitions, replication, week));
    }
    return topics;
  }

  private static NewTopic topic(
      String name, int partitions, short replication, Map<String, String> configs) {
    return new NewTopic(name, Optional.of(partitions), Optional.of(replication)).configs(configs);
  }
}
