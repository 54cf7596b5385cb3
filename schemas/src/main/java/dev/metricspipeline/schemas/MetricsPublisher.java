package dev.metricspipeline.schemas;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import dev.metricspipeline.schemas.serde.SampleBatchEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one producer of {@code metrics.samples}: every ingest path (push gateway, scraper, client
 * library) publishes through it.
 *
 * <p><b>All or nothing, and only once durable.</b> {@link #publish(List)} completes normally only
 * after Kafka committed a transaction holding every sample of the call ({@code acks=all},
 * idempotent, transactional producer). If it completes exceptionally, none of the call's samples is
 * visible to {@code read_committed} consumers. Calls share transactions (group commit), which is
 * what makes per-request transactions affordable; a failure of that transaction fails every call in
 * it. A transaction takes every call waiting when it starts (those that came while the last one
 * committed), and waits up to {@link PublisherConfig#commitInterval()} for more only while it holds
 * fewer samples than the last transaction did. A fixed wait cost a steady load the whole interval
 * on every transaction: under {@code bench/peers/remote-write.sh} (8 connections) each request
 * waited 5 ms for calls that had all arrived within the first millisecond.
 *
 * <p><b>Batched records.</b> The samples of a transaction are written as {@code SampleBatch}
 * records, one per partition (split at {@link SampleBatchEncoder#MAX_SAMPLES} samples or {@link
 * SampleBatchEncoder#MAX_BYTES}), with no key. Each sample carries its canonical series id ({@link
 * SeriesKey}) and goes to the partition that id hashes to, the one Kafka's default partitioner
 * chooses for it as a key: one series always lands on one partition and keeps its order, the same
 * partition as a single-sample record keyed by its id. One record per partition instead of one per
 * sample takes the per-record costs of the producer and of Kafka Streams off the hot path.
 *
 * <p>Trap: a publisher that dies inside a transaction leaves it open until the broker's transaction
 * timeout ({@code transaction.timeout.ms}, set to {@link PublisherConfig#timeout()} here) aborts
 * it; until then {@code read_committed} consumers of the affected partitions wait. A stable {@link
 * PublisherConfig#transactionalId()} makes the restarted publisher abort it immediately.
 *
 * <p>Thread-safe. One background thread drives the producer.
 */
public final class MetricsPublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MetricsPublisher.class);

  private final PublisherConfig config;
  private final SchemaRegistryClient registry;
  private final SeriesKey seriesKey;
  private final SampleBatchEncoder encoder;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final AtomicLong queuedSamples = new AtomicLong();
  private final Thread thread;
  private final LongAdder samplesPublished = new LongAdder();
  private final LongAdder transactionsCommitted = new LongAdder();
  private final LongAdder transactionsFailed = new LongAdder();
  private final LongAdder batchesSent = new LongAdder();
  private volatile int batchSchemaId = -1;
  private volatile boolean closed;
  private volatile long lastCommitNanos;
  // The samples of the last transaction: the next one waits for more only while it has fewer.
  private int lastTransactionSamples;
  private KafkaProducer<String, byte[]> producer;

  private MetricsPublisher(PublisherConfig config) {
    this.config = config;
    this.registry = new SchemaRegistryClient(config.registry());
    this.seriesKey = SeriesKey.excluding(config.replicaLabels());
    this.encoder = new SampleBatchEncoder(registry);
    this.thread = new Thread(this::run, "metrics-publisher");
    this.thread.setDaemon(true);
  }

  /** Starts the publisher's thread; Kafka is contacted on the first publish. */
  public static MetricsPublisher start(PublisherConfig config) {
    MetricsPublisher publisher = new MetricsPublisher(config);
    publisher.thread.start();
    return publisher;
  }

  /** The series key that makes each sample's series id (and so its partition). */
  public SeriesKey seriesKey() {
    return seriesKey;
  }

  /**
   * Publishes the samples atomically.
   *
   * @return completes when Kafka committed them all, or exceptionally with a {@link
   *     PublishException} when none became visible
   */
  public CompletableFuture<Void> publish(List<MetricSample> samples) {
    return publish(samples, List.of());
  }

  /**
   * Publishes the samples and the side records atomically: all become visible together, or none. A
   * sample whose timestamp is outside {@link PublisherConfig#timestamps()} fails the call with a
   * non-retriable {@link PublishException} naming it, before anything is sent.
   *
   * @return completes when Kafka committed them all, or exceptionally with a {@link
   *     PublishException} when none became visible
   */
  public CompletableFuture<Void> publish(List<MetricSample> samples, List<SideRecord> sideRecords) {
    return publish(samples, null, sideRecords);
  }

  /**
   * As {@link #publish(List)}, with each sample's series already encoded by the caller, its id made
   * with this publisher's {@link #seriesKey()}: the scraper keeps one {@link EncodedSeries} per
   * series in its scrape cache, so a sample it sends again costs neither its id nor its strings
   * (see {@link SampleBatchEncoder#encodedItems}).
   *
   * @param series aligned with {@code samples}; a sample with a null entry is written whole, its id
   *     made here
   * @throws IllegalArgumentException when {@code series} and {@code samples} differ in size
   */
  public CompletableFuture<Void> publishEncoded(
      List<MetricSample> samples, List<EncodedSeries> series) {
    return publishEncoded(samples, series, List.of());
  }

  /**
   * As {@link #publish(List, List)}, with each sample's series encoded by the caller as for {@link
   * #publishEncoded(List, List)}: the push gateway's remote_write series cache keeps one per
   * series.
   *
   * @throws IllegalArgumentException when {@code series} and {@code samples} differ in size
   */
  public CompletableFuture<Void> publishEncoded(
      List<MetricSample> samples, List<EncodedSeries> series, List<SideRecord> sideRecords) {
    SampleBatchEncoder.requireAligned(samples, series); // a caller's mistake: thrown, not queued
    return publish(samples, series, sideRecords);
  }

  private CompletableFuture<Void> publish(
      List<MetricSample> samples, List<EncodedSeries> series, List<SideRecord> sideRecords) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (samples.isEmpty() && sideRecords.isEmpty()) {
      done.complete(null);
      return done;
    }
    if (closed) {
      done.completeExceptionally(new PublishException("publisher is closed", true, null));
      return done;
    }
    long now = System.currentTimeMillis();
    for (MetricSample sample : samples) {
      Optional<String> invalid = config.timestamps().violation(seriesKey, sample, now);
      if (invalid.isPresent()) {
        done.completeExceptionally(new PublishException(invalid.get(), false, null));
        return done;
      }
    }
    long queued = queuedSamples.addAndGet(samples.size());
    if (queued > config.maxQueuedSamples()) {
      queuedSamples.addAndGet(-samples.size());
      done.completeExceptionally(
          new PublishException(
              "publisher overloaded: "
                  + (queued - samples.size())
                  + " samples already waiting for Kafka",
              true,
              null));
      return done;
    }
    // Ids and Avro are made here, on the caller's thread (the gateway's workers, in parallel):
    // the one publisher thread only copies bytes into batches. Profiled under remote_write load,
    // encoding was about 40% of that thread.
    SampleBatchEncoder.Items items;
    try {
      if (batchSchemaId < 0 && !samples.isEmpty()) {
        batchSchemaId = encoder.schemaId(config.topic());
      }
      if (series == null) {
        List<String> ids = new ArrayList<>(samples.size());
        for (MetricSample sample : samples) {
          ids.add(seriesKey.idOf(sample));
        }
        items = encoder.items(samples, ids);
      } else {
        items = encoder.encodedItems(samples, series, seriesKey::idOf);
      }
    } catch (RuntimeException e) {
      queuedSamples.addAndGet(-samples.size());
      done.completeExceptionally(classify(e));
      return done;
    }
    queue.add(new Pending(items, List.copyOf(sideRecords), done));
    return done;
  }

  private void run() {
    try {
      while (!closed || !queue.isEmpty()) {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        List<Pending> batch = new ArrayList<>();
        batch.add(first);
        int size = first.samples().size();
        long deadline = System.nanoTime() + config.commitInterval().toNanos();
        int enough = Math.min(config.maxSamplesPerTransaction(), lastTransactionSamples);
        while (size < config.maxSamplesPerTransaction()) {
          Pending next = queue.poll();
          if (next == null) {
            long wait = deadline - System.nanoTime();
            if (size >= enough || wait <= 0) {
              break;
            }
            next = queue.poll(wait, TimeUnit.NANOSECONDS);
            if (next == null) {
              break;
            }
          }
          batch.add(next);
          size += next.samples().size();
        }
        lastTransactionSamples = Math.max(1, size);
        commit(batch, size);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failAll(drain(), new PublishException("publisher interrupted", true, e));
    } catch (Error e) {
      LOG.error("Publisher thread died; failing every waiting publish", e);
      failAll(drain(), new PublishException("publisher failed: " + e, true, e));
      throw e;
    } finally {
      closeProducer(Duration.ofSeconds(5));
    }
  }

  private void commit(List<Pending> batch, int size) {
    long started = System.nanoTime();
    try {
      KafkaProducer<String, byte[]> p = producer();
      int partitions = size == 0 ? 1 : p.partitionsFor(config.topic()).size();
      SampleBatchEncoder.PartitionedBatches batches =
          new SampleBatchEncoder.PartitionedBatches(
              batchSchemaId, partitions, (partition, record) -> send(p, partition, record));
      p.beginTransaction();
      for (Pending pending : batch) {
        batches.add(pending.samples());
        for (SideRecord side : pending.sideRecords()) {
          p.send(new ProducerRecord<>(side.topic(), side.key(), side.value()));
        }
      }
      batches.flush();
      p.commitTransaction();
      lastCommitNanos = System.nanoTime() - started;
      samplesPublished.add(size);
      transactionsCommitted.increment();
      queuedSamples.addAndGet(-size);
      batch.forEach(pending -> pending.done().complete(null));
    } catch (RuntimeException e) {
      transactionsFailed.increment();
      queuedSamples.addAndGet(-size);
      PublishException failure = classify(e);
      LOG.warn(
          "Transaction of {} samples ({} requests) to {} failed and was aborted: {}",
          size,
          batch.size(),
          config.topic(),
          failure.getMessage());
      abortOrReset(e);
      failAll(batch, failure);
    }
  }

  private void send(KafkaProducer<String, byte[]> p, int partition, byte[] record) {
    p.send(new ProducerRecord<>(config.topic(), partition, null, record));
    batchesSent.increment();
  }

  private static PublishException classify(RuntimeException e) {
    if (e instanceof SerializationException
        && e.getCause() instanceof SchemaRegistryException registryError) {
      return new PublishException(e.getMessage(), registryError.isRetriable(), e);
    }
    boolean fatalConfig =
        e instanceof AuthorizationException
            || e instanceof AuthenticationException
            || e instanceof UnsupportedVersionException;
    return new PublishException("Kafka did not commit the samples: " + e, !fatalConfig, e);
  }

  private void abortOrReset(RuntimeException cause) {
    if (producer == null) {
      return;
    }
    boolean fatal =
        !(cause instanceof KafkaException)
            || cause instanceof ProducerFencedException
            || cause instanceof OutOfOrderSequenceException
            || cause instanceof AuthorizationException
            || cause instanceof UnsupportedVersionException;
    if (!fatal) {
      try {
        producer.abortTransaction();
        return;
      } catch (RuntimeException abortFailure) {
        LOG.warn("Abort failed, recreating the producer: {}", abortFailure.toString());
      }
    }
    closeProducer(Duration.ZERO);
  }

  private KafkaProducer<String, byte[]> producer() {
    if (producer == null) {
      Properties p = config.kafka().properties();
      p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
      p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      p.setProperty(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
      p.setProperty(
          ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
          Long.toString(Math.max(config.timeout().toMillis(), 10_000)));
      p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(config.timeout().toMillis()));
      // Lingering adds no latency here: commitTransaction() flushes at once. It lets a
      // transaction's records fill big batches instead of many small ones, each paying a
      // compression header; under remote_write load that took steady throughput from 110k to 174k
      // samples/s (bench/README.md).
      p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
      p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
      // Kafka refuses a producer whose delivery timeout is below linger + request timeout.
      long linger = Long.parseLong(p.getProperty(ProducerConfig.LINGER_MS_CONFIG).trim());
      long request = Math.min(config.timeout().toMillis(), 5_000);
      p.setProperty(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(request));
      p.setProperty(
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
          Long.toString(Math.max(config.timeout().toMillis(), request + linger)));
      p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
      p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, config.transactionalId());
      KafkaProducer<String, byte[]> created =
          new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
      try {
        created.initTransactions();
      } catch (KafkaException e) {
        created.close(Duration.ZERO);
        throw e;
      }
      producer = created;
      LOG.info(
          "Publishing to {} on {} as transactional id {}",
          config.topic(),
          config.kafka().bootstrapServers(),
          config.transactionalId());
    }
    return producer;
  }

  private void closeProducer(Duration timeout) {
    if (producer != null) {
      try {
        producer.close(timeout);
      } catch (KafkaException e) {
        LOG.debug("Producer close failed: {}", e.toString());
      }
      producer = null;
    }
  }

  private List<Pending> drain() {
    List<Pending> rest = new ArrayList<>();
    queue.drainTo(rest);
    return rest;
  }

  private static void failAll(List<Pending> batch, PublishException failure) {
    batch.forEach(pending -> pending.done().completeExceptionally(failure));
  }

  /** Sample batch records sent so far (committed or not): samples per record is the batching. */
  public long batchesSent() {
    return batchesSent.sum();
  }

  /** Samples committed so far. */
  public long samplesPublished() {
    return samplesPublished.sum();
  }

  /** Transactions committed so far. */
  public long transactionsCommitted() {
    return transactionsCommitted.sum();
  }

  /** Transactions aborted or failed so far. */
  public long transactionsFailed() {
    return transactionsFailed.sum();
  }

  /** Samples accepted by {@link #publish} and not yet committed or failed. */
  public long queuedSamples() {
    return queuedSamples.get();
  }

  /** How long the last successful commit took, from begin to commit. */
  public Duration lastCommitLatency() {
    return Duration.ofNanos(lastCommitNanos);
  }

  /**
   * Stops taking samples, commits what was already accepted (waiting up to the configured timeout)
   * and closes the producer.
   */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(config.timeout().toMillis() + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
    }
    // A publish that raced with close() and was queued after the thread's last look.
    failAll(drain(), new PublishException("publisher is closed", true, null));
  }

  private record Pending(
      SampleBatchEncoder.Items samples,
      List<SideRecord> sideRecords,
      CompletableFuture<Void> done) {}

  /**
   * A record for another topic that must become visible together with a publish's samples, e.g. the
   * push gateway's group state. The value is written as given; null is a tombstone.
   */
  public record SideRecord(String topic, String key, byte[] value) {
    public SideRecord {
      java.util.Objects.requireNonNull(topic, "topic");
      java.util.Objects.requireNonNull(key, "key");
    }
  }
}
