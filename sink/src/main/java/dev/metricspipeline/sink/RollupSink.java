package dev.metricspipeline.sink;

import dev.metricspipeline.formats.PromDurations;
import dev.metricspipeline.runtime.StageHealth;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.sink.internal.QueryServer;
import dev.metricspipeline.sink.internal.RollupConsumers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the rollup topics ({@code read_committed}) and writes them to a {@link RollupStore} exactly
 * once, and serves the query API.
 *
 * <p><b>Exactly once.</b> Each polled batch is written by {@link RollupStore#write} with the
 * offsets it reached, in one database transaction. On every partition assignment the sink seeks to
 * the offsets stored in the database (the beginning if it has none), never to the group's: the
 * group's offsets are committed after each write only so that lag tools see progress. A crash
 * between the database commit and the Kafka commit re-reads records the store already has, and the
 * stored offsets skip them; a crash before the database commit leaves nothing behind.
 *
 * <p><b>Store outages.</b> A failed write rewinds the consumer to the batch's first offsets, marks
 * the sink not ready ({@code /-/ready} answers 503) and retries with backoff (1 s doubling to 30
 * s); nothing is skipped. A record that cannot be decoded is logged, counted ({@code
 * sink_records_dropped_total{reason="undecodable"}}) and stepped over.
 */
public final class RollupSink implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RollupSink.class);
  private static final long MAX_BACKOFF_MS = 30_000;

  private final SinkConfig config;
  private final RollupStore store;
  private final PrometheusMeterRegistry meters;
  private final KafkaConsumer<String, Rollup> consumer;
  private final Set<TopicPartition> toSeek = new HashSet<>();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread thread;
  private final ScheduledExecutorService retention;
  private final QueryServer query;
  private final Counter written;
  private final Counter skipped;
  private final Counter undecodable;
  private final Timer commitLatency;
  private final KafkaClientMetrics consumerMetrics;
  private volatile boolean migrated;
  private volatile boolean storeOk;
  private volatile Set<TopicPartition> assigned = Set.of();
  private final StageHealth health;

  private RollupSink(
      SinkConfig config, RollupStore store, PrometheusMeterRegistry meters, Vertx shared) {
    this.config = config;
    this.store = store;
    this.meters = meters;
    this.health = StageHealth.of("sink").bindTo(meters);
    this.consumer =
        RollupConsumers.open(
            config.kafka(), config.groupId(), config.registry(), config.maxPollRecords());
    this.consumerMetrics = new KafkaClientMetrics(consumer);
    consumerMetrics.bindTo(meters);
    this.written =
        Counter.builder("sink.rows.written")
            .description("Rollup rows upserted into the store")
            .register(meters);
    this.skipped =
        Counter.builder("sink.rows.skipped")
            .description("Rollups read again after a restart or rebalance, already in the store")
            .register(meters);
    this.undecodable = RollupConsumers.undecodable(meters);
    this.commitLatency =
        Timer.builder("sink.batch.commit")
            .description("Time to write one batch and its offsets in one transaction")
            .publishPercentiles(0.5, 0.99)
            .register(meters);
    Gauge.builder("sink.store.up", this, s -> s.storeOk ? 1 : 0)
        .description("1 when the last store operation succeeded")
        .register(meters);
    this.retention =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "metrics-sink-retention");
              t.setDaemon(true);
              return t;
            });
    Map<Long, String> resolutions = new HashMap<>();
    for (String topic : config.topics()) {
      String name = topic.substring(topic.lastIndexOf('.') + 1);
      try {
        resolutions.put(PromDurations.parse(name), name);
      } catch (IllegalArgumentException e) {
        LOG.warn("Topic {} does not end in a resolution; it is stored but not queryable", topic);
      }
    }
    this.query =
        QueryServer.start(
            config.web(),
            config.host(),
            config.port(),
            store,
            resolutions,
            meters,
            this::ready,
            shared,
            config.queryMaxWindows());
    this.thread = new Thread(this::run, "metrics-sink");
  }

  /**
   * Starts consuming, the retention job and the query API. The store's schema is created or
   * migrated first (retried until the store answers).
   */
  public static RollupSink start(
      SinkConfig config, RollupStore store, PrometheusMeterRegistry meters) {
    return start(config, store, meters, null);
  }

  /**
   * As {@link #start(SinkConfig, RollupStore, PrometheusMeterRegistry)}, the query API on the
   * process's shared Vert.x ({@code run}), which closing the sink leaves open; null for its own.
   */
  public static RollupSink start(
      SinkConfig config, RollupStore store, PrometheusMeterRegistry meters, Vertx shared) {
    RollupSink sink = new RollupSink(config, store, meters, shared);
    sink.thread.start();
    long every = config.retentionInterval().toMillis();
    sink.retention.scheduleWithFixedDelay(
        sink::applyRetention, 10_000, every, TimeUnit.MILLISECONDS);
    LOG.info(
        "Sink reading {} as group {} into {}; query API on {}",
        config.topics(),
        config.groupId(),
        store,
        sink.query.url());
    return sink;
  }

  /**
   * Ready when the schema is in place, the last store operation succeeded and the consumer loop has
   * not failed more often in a row than its bound.
   */
  public boolean ready() {
    return migrated && storeOk && health.healthy();
  }

  /** The partitions this instance owns now. */
  public Set<TopicPartition> assignment() {
    return assigned;
  }

  /** The query API's base URL. */
  public String queryUrl() {
    return query.url();
  }

  /** Reads and stores until stopped; throws what it cannot handle itself. */
  private void consume() {
    long backoff = 1000;
    while (stop.getCount() > 0) {
      if (!migrated) {
        try {
          store.migrate();
          migrated = true;
          storeOk = true;
          consumer.subscribe(config.topics(), new Rebalance());
        } catch (StoreException e) {
          storeOk = false;
          LOG.warn("Store not usable yet, retrying in {} ms: {}", backoff, e.getMessage());
          backoff = pause(backoff);
          continue;
        }
      }
      if (!toSeek.isEmpty() && !seekToStored()) {
        backoff = pause(backoff);
        continue;
      }
      ConsumerRecords<String, Rollup> records;
      try {
        records = consumer.poll(Duration.ofMillis(500));
      } catch (RecordDeserializationException e) {
        if (!RollupConsumers.stepOverIfBad(consumer, e, undecodable, LOG)) {
          // The registry is away, not the record wrong: read it again later.
          health.fault("decoding " + e.topicPartition() + "@" + e.offset() + ": " + e.getMessage());
          backoff = pause(backoff);
        }
        continue;
      }
      if (records.isEmpty() || !toSeek.isEmpty()) {
        continue; // a rebalance during poll: seek first, then read from the stored offsets
      }
      if (write(records)) {
        backoff = 1000;
        health.recovered();
      } else {
        backoff = pause(backoff);
      }
    }
  }

  /**
   * The consumer loop, kept alive: an unexpected error (a broker refusing the group, a bug) is
   * counted in {@code stage_faults_total{stage="sink"}}, logged, and the loop goes on after a
   * backoff from the last committed offsets; past the bound the sink reports not ready.
   */
  private void run() {
    long backoff = 1000;
    try {
      while (stop.getCount() > 0) {
        try {
          consume();
        } catch (WakeupException e) {
          return; // closing
        } catch (RuntimeException e) {
          int streak = health.fault(String.valueOf(e));
          LOG.error("The sink loop failed ({} in a row); going on in {} ms", streak, backoff, e);
          toSeek.addAll(consumer.assignment()); // re-read from the store's offsets
          backoff = pause(backoff);
        }
      }
    } finally {
      consumer.close();
    }
  }

  private boolean write(ConsumerRecords<String, Rollup> records) {
    List<RollupStore.Consumed> batch = new ArrayList<>(records.count());
    Map<TopicPartition, Long> first = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    for (ConsumerRecord<String, Rollup> r : records) {
      TopicPartition tp = new TopicPartition(r.topic(), r.partition());
      first.putIfAbsent(tp, r.offset());
      next.put(tp, new OffsetAndMetadata(r.offset() + 1));
      if (r.value() != null) {
        batch.add(new RollupStore.Consumed(tp, r.offset(), r.value()));
      }
    }
    long started = System.nanoTime();
    try {
      RollupStore.WriteResult result = store.write(batch);
      commitLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      written.increment(result.written());
      skipped.increment(result.skipped());
      if (!storeOk) {
        LOG.info("Store reachable again; writing resumed");
      }
      storeOk = true;
      consumer.commitAsync(
          next,
          (offsets, e) -> {
            if (e != null) {
              LOG.debug("Group offset commit failed (the store's offsets rule): {}", e.toString());
            }
          });
      return true;
    } catch (StoreException e) {
      storeOk = false;
      LOG.warn("Writing {} rollups failed; will retry them: {}", batch.size(), e.getMessage());
      first.forEach(consumer::seek);
      return false;
    }
  }

  private boolean seekToStored() {
    Set<TopicPartition> assigned = consumer.assignment();
    toSeek.retainAll(assigned);
    try {
      Map<TopicPartition, Long> stored = store.nextOffsets(toSeek);
      List<TopicPartition> fromStart = new ArrayList<>();
      for (TopicPartition tp : toSeek) {
        Long offset = stored.get(tp);
        if (offset == null) {
          fromStart.add(tp);
        } else {
          consumer.seek(tp, offset);
        }
      }
      consumer.seekToBeginning(fromStart);
      LOG.info("Positioned {} from the store's offsets {}", toSeek, stored);
      toSeek.clear();
      storeOk = true;
      return true;
    } catch (StoreException e) {
      storeOk = false;
      LOG.warn("Cannot read stored offsets; retrying: {}", e.getMessage());
      return false;
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      // Every owned partition, not only the new ones: records a poll returned around a rebalance
      // are dropped unwritten, so each position is taken from the store again.
      toSeek.addAll(partitions);
      toSeek.addAll(consumer.assignment());
      assigned = Set.copyOf(consumer.assignment());
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      toSeek.removeAll(partitions);
      Set<TopicPartition> left = new HashSet<>(assigned);
      left.removeAll(partitions);
      assigned = Set.copyOf(left);
    }
  }

  private long pause(long backoff) {
    try {
      stop.await(backoff, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Math.min(MAX_BACKOFF_MS, backoff * 2);
  }

  private void applyRetention() {
    if (!migrated) {
      return;
    }
    long now = System.currentTimeMillis();
    config
        .retention()
        .forEach(
            (resolution, keep) -> {
              try {
                int deleted = store.deleteBefore(resolution, now - keep.toMillis());
                if (deleted > 0) {
                  LOG.info(
                      "Retention: deleted {} {} windows older than {}", deleted, resolution, keep);
                }
                Counter.builder("sink.retention.deleted")
                    .tag("resolution", resolution)
                    .description("Windows deleted by retention")
                    .register(meters)
                    .increment(deleted);
              } catch (StoreException e) {
                LOG.warn("Retention for {} failed; will retry: {}", resolution, e.getMessage());
              }
            });
  }

  @Override
  public void close() {
    stop.countDown();
    consumer.wakeup();
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    retention.shutdownNow();
    query.close();
    consumerMetrics.close();
    store.close();
  }
}
