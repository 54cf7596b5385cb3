package dev.metricspipeline.launcher.internal;

import dev.metricspipeline.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
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

  /**
   * Creates the missing ones; returns the names created.
   *
   * @param kafka further client settings (SASL, TLS, ...), as every other client gets them
   */
  public static List<String> createMissing(
      String bootstrapServers, Map<String, String> kafka, List<NewTopic> wanted) {
    Properties p = new Properties();
    p.putAll(kafka);
    p.setProperty("bootstrap.servers", bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      Set<String> existing =
          admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info(
            "Created topics {}",
            missing.stream().map(NewTopic::name).collect(Collectors.joining(", ")));
      }
      return missing.stream().map(NewTopic::name).toList();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot create the pipeline's topics on " + bootstrapServers + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }
}
