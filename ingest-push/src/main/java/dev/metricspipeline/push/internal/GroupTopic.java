package dev.metricspipeline.push.internal;

import dev.metricspipeline.runtime.StageHealth;
import dev.metricspipeline.runtime.TopicAdmin;
import dev.metricspipeline.schemas.SeriesKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compacted push group topic, mirrored into a {@link GroupStore}: read to its end on open, then
 * followed by a background consumer ({@code read_committed}), so groups written by other gateway
 * instances show up too.
 */
public final class GroupTopic implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GroupTopic.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String topic;
  private final SeriesKey seriesKey;
  private final GroupStore store;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread follower;
  private final StageHealth health;
  private volatile boolean closed;
  private final CountDownLatch stop = new CountDownLatch(1);

  private GroupTopic(
      String topic,
      SeriesKey seriesKey,
      GroupStore store,
      KafkaConsumer<String, byte[]> consumer,
      StageHealth health) {
    this.health = health;
    this.topic = topic;
    this.seriesKey = seriesKey;
    this.store = store;
    this.consumer = consumer;
    this.follower = new Thread(this::follow, "push-group-follower");
    this.follower.setDaemon(true);
  }

  /**
   * Creates the compacted topic if needed, reads it into the store and starts following it.
   *
   * @param health counts the follower's faults; it keeps following after each, with backoff
   */
  public static GroupTopic open(
      String bootstrapServers,
      String topic,
      GroupStore store,
      SeriesKey seriesKey,
      Map<String, String> kafka,
      StageHealth health) {
    TopicAdmin.createMissing(
        bootstrapServers,
        kafka,
        List.of(
            new NewTopic(topic, Optional.of(1), Optional.empty())
                .configs(
                    Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
    Properties p = new Properties();
    p.putAll(kafka);
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "push-group-store");
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    GroupTopic follower = new GroupTopic(topic, seriesKey, store, consumer, health);
    follower.catchUp();
    follower.follower.start();
    return follower;
  }

  private void catchUp() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
    List<TopicPartition> partitions = new ArrayList<>();
    infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
    int records = 0;
    while (partitions.stream().anyMatch(tp -> consumer.position(tp, TIMEOUT) < ends.get(tp))) {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        apply(record);
        records++;
      }
    }
    LOG.info(
        "Push groups: read {} records from {}, {} live groups", records, topic, store.all().size());
  }

  /**
   * Follows the topic until closed. A failed poll (broker away, a bug in applying a record) is
   * counted in {@code stage_faults_total{stage="push-groups"}} and retried after a backoff (1 s
   * doubling to 16 s) from where it stood; it never ends the follower, which would leave this
   * instance blind to groups pushed through the others.
   */
  private void follow() {
    long backoff = 1000;
    try {
      while (!closed) {
        try {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
            apply(record);
          }
          backoff = 1000;
          health.recovered();
        } catch (WakeupException e) {
          throw e;
        } catch (RuntimeException e) {
          int streak = health.fault(String.valueOf(e));
          LOG.error(
              "Following push group topic {} failed ({} in a row); retrying in {} ms",
              topic,
              streak,
              backoff,
              e);
          if (stop.await(backoff, TimeUnit.MILLISECONDS)) {
            return; // closed during the backoff
          }
          backoff = Math.min(16_000, backoff * 2);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      store.remove(record.key());
      return;
    }
    try {
      GroupState state = GroupState.fromJson(record.value(), seriesKey);
      store.apply(record.key(), state);
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "Skipping unreadable push group record {}/{}@{} ({}): {}",
          record.topic(),
          record.partition(),
          record.offset(),
          new String(
              record.value(), 0, Math.min(record.value().length, 200), StandardCharsets.UTF_8),
          e.toString());
    }
  }

  @Override
  public void close() {
    closed = true;
    stop.countDown();
    consumer.wakeup();
    try {
      follower.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
