package dev.metricspipeline.pull.internal;

import dev.metricspipeline.pull.ScraperSettings;
import dev.metricspipeline.runtime.TopicAdmin;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares targets between scraper instances with a Kafka consumer group instead of a coordinator of
 * our own: every instance joins one group on a small, empty coordination topic; the partitions the
 * group assigns an instance are the shards it owns, and a target belongs to shard {@code
 * murmur2(key) mod partitions}. Kafka guarantees each partition one live owner and moves the
 * partitions of an instance that stops heartbeating after the session timeout. The cooperative
 * sticky assignor moves only the partitions that must move.
 */
public final class ShardCoordinator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ShardCoordinator.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final int partitions;
  private final Consumer<Set<Integer>> onChange;
  private final CountDownLatch firstAssignment = new CountDownLatch(1);
  private final Set<Integer> owned = new TreeSet<>();
  private volatile boolean running = true;

  private ShardCoordinator(
      ScraperSettings.Coordination c, int partitions, Consumer<Set<Integer>> onChange, String id) {
    this.partitions = partitions;
    this.onChange = onChange;
    Map<String, Object> props = c.kafka().clientConfig();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, c.groupId());
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "scraper-" + id);
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, c.sessionTimeoutMs());
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(500, c.sessionTimeoutMs() / 5));
    props.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(c.topic()), new Listener());
    this.thread = new Thread(this::run, "scraper-coordinator");
    this.thread.setDaemon(true);
  }

  /**
   * Creates the coordination topic if missing and joins the group.
   *
   * @param onChange called (on the coordinator thread) with the shards owned after each change
   */
  public static ShardCoordinator start(
      ScraperSettings.Coordination c, String instanceId, Consumer<Set<Integer>> onChange) {
    int partitions = ensureTopic(c);
    ShardCoordinator coordinator = new ShardCoordinator(c, partitions, onChange, instanceId);
    coordinator.thread.start();
    LOG.info(
        "Scraper {} joined group {} on {} ({} shards)",
        instanceId,
        c.groupId(),
        c.topic(),
        partitions);
    return coordinator;
  }

  private static int ensureTopic(ScraperSettings.Coordination c) {
    TopicAdmin.createMissing(
        c.kafka(), List.of(new NewTopic(c.topic(), Optional.of(c.partitions()), Optional.empty())));
    return TopicAdmin.partitions(c.kafka(), c.topic());
  }

  /** The shard of a target key. */
  public int shardOf(String targetKey) {
    return Utils.toPositive(Utils.murmur2(targetKey.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** Whether the group has assigned this instance its shards at least once. */
  public boolean assigned() {
    return firstAssignment.getCount() == 0;
  }

  private void run() {
    try {
      while (running) {
        consumer.poll(Duration.ofMillis(500)); // the topic stays empty: polling is the heartbeat
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close();
    }
  }

  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> added) {
      added.forEach(tp -> owned.add(tp.partition()));
      changed();
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> removed) {
      removed.forEach(tp -> owned.remove(tp.partition()));
      changed();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      onPartitionsRevoked(lost);
    }

    private void changed() {
      Set<Integer> now = Set.copyOf(owned);
      LOG.info("Scraper owns {} of {} shards", now.size(), partitions);
      firstAssignment.countDown();
      onChange.accept(now);
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
