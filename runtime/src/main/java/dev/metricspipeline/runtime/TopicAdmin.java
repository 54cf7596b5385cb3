package dev.metricspipeline.runtime;

import dev.metricspipeline.schemas.KafkaConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Create the topic if it is missing", written once for every stage, with the whole connection: the
 * same further client settings (SASL, TLS, ...) every other client of the stage gets. An existing
 * topic is left as it is: its partition count is never changed (that would move series between
 * partitions) and its settings are not overwritten. Another instance creating the same topic at the
 * same moment is not an error.
 */
public final class TopicAdmin {

  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private TopicAdmin() {}

  /**
   * Creates those of {@code wanted} that do not exist.
   *
   * @param kafka the stage's connection, as its other clients get it (SASL, TLS, ...)
   * @return the names this call created
   * @throws IllegalStateException naming the broker and the topics, when Kafka cannot be reached or
   *     refuses
   */
  public static List<String> createMissing(KafkaConnection kafka, List<NewTopic> wanted) {
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      Set<String> existing =
          admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      List<String> created = new java.util.ArrayList<>();
      for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e :
          admin.createTopics(missing).values().entrySet()) {
        try {
          e.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          created.add(e.getKey());
        } catch (ExecutionException race) {
          if (!(race.getCause() instanceof TopicExistsException)) {
            throw race;
          }
        }
      }
      if (!created.isEmpty()) {
        LOG.info("Created topics {} on {}", created, kafka.bootstrapServers());
      }
      return created;
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException(
          "cannot create topics "
              + wanted.stream().map(NewTopic::name).toList()
              + " on "
              + kafka.bootstrapServers()
              + ": "
              + cause,
          cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }

  /**
   * The partition count of {@code topic}.
   *
   * @throws IllegalStateException naming the topic and the broker, when it does not exist or Kafka
   *     cannot be reached
   */
  public static int partitions(KafkaConnection kafka, String topic) {
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .get(topic)
          .partitions()
          .size();
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IllegalStateException(
          "cannot describe topic " + topic + " on " + kafka.bootstrapServers() + ": " + cause,
          cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing " + topic, e);
    }
  }
}
