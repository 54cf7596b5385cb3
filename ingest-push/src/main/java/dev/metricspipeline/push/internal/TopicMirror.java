package dev.metricspipeline.push.internal;

import dev.metricspipeline.runtime.StageHealth;
import dev.metricspipeline.runtime.TopicAdmin;
import dev.metricspipeline.schemas.KafkaConnection;
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
 * A compacted topic of the gateway's shared state (push groups, metric metadata), mirrored in
 * memory: read to its end on open, then followed by a background consumer ({@code read_committed}),
 * so what other gateway instances write shows up too. Each record goes to a {@link Handler}; a
 * record it cannot read is logged and skipped.
 */
public final class TopicMirror implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TopicMirror.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Applies one record of the topic: a null value is a tombstone. */
  @FunctionalInterface
  public interface Handler {
    void apply(String key, byte[] value) throws IOException;
  }

  private final String topic;
  private final String what;
  private final Handler handler;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread follower;
  private final StageHealth health;
  private volatile boolean closed;
  private final CountDownLatch stop = new CountDownLatch(1);

  private TopicMirror(
      String topic,
      String what,
      Handler handler,
      KafkaConsumer<String, byte[]> consumer,
      StageHealth health) {
    this.health = health;
    this.topic = topic;
    this.what = what;
    this.handler = handler;
    this.consumer = consumer;
    this.follower = new Thread(this::follow, what.replace(' ', '-') + "-follower");
    this.follower.setDaemon(true);
  }

  /**
   * The push group topic mirrored into a store.
   *
   * @param health counts the follower's faults; it keeps following after each, with backoff
   */
  public static TopicMirror groups(
      KafkaConnection kafka,
      String topic,
      GroupStore store,
      SeriesKey seriesKey,
      StageHealth health) {
    TopicMirror mirror =
        open(
            kafka,
            topic,
            health,
            "push groups",
            (key, value) -> {
              if (value == null) {
                store.remove(key);
              } else if (GroupState.versionOf(value) > store.version(key)) {
                // Not held yet. This instance's own writes, read back, are held already (applied
                // when their transaction committed) and skipped without parsing their series.
                store.apply(key, GroupState.fromJson(value, seriesKey));
              }
            });
    LOG.info("Push groups: {} live groups", store.all().size());
    return mirror;
  }

  /**
   * Creates the compacted topic if needed, reads it to its end into {@code handler} and starts
   * following it.
   *
   * @param what what the topic holds, for logs and the thread name
   */
  public static TopicMirror open(
      KafkaConnection kafka, String topic, StageHealth health, String what, Handler handler) {
    TopicAdmin.createMissing(
        kafka,
        List.of(
            new NewTopic(topic, Optional.of(1), Optional.empty())
                .configs(
                    Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
    Properties p = kafka.properties();
    p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, what.replace(' ', '-') + "-store");
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    TopicMirror follower = new TopicMirror(topic, what, handler, consumer, health);
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
    LOG.info("{}: read {} records from {}", what, records, topic);
  }

  /**
   * Follows the topic until closed. A failed poll (broker away, a bug in applying a record) is
   * counted in the stage's {@code stage_faults_total} and retried after a backoff (1 s doubling to
   * 16 s) from where it stood; it never ends the follower, which would leave this instance blind to
   * groups pushed through the others.
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
              "Following the {} topic {} failed ({} in a row); retrying in {} ms",
              what,
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
    try {
      handler.apply(record.key(), record.value());
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "Skipping unreadable {} record {}/{}@{} ({}): {}",
          what,
          record.topic(),
          record.partition(),
          record.offset(),
          record.value() == null
              ? "tombstone"
              : new String(
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
