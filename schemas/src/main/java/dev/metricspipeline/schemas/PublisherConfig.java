package dev.metricspipeline.schemas;

import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Settings of a {@link MetricsPublisher}. Build with {@link #defaults(KafkaConnection,
 * RegistryClientConfig)} and the {@code with*} methods; every value is checked when built.
 *
 * @param kafka where Kafka is and the shared client settings (SASL, TLS, ...), passed through; the
 *     settings this class owns (acks, idempotence, transactions, serializers) cannot be overridden
 * @param registry how to reach the Schema Registry
 * @param topic the topic samples go to (default {@value Topics#SAMPLES})
 * @param transactionalId the producer's {@code transactional.id}; unique per running publisher. A
 *     stable id lets a restarted publisher abort its predecessor's open transaction at once; a
 *     random one (the default) leaves it to the transaction timeout.
 * @param commitInterval how long a transaction waits for more requests to join it (group commit)
 *     while it holds fewer samples than the last transaction did; calls already waiting always join
 * @param maxSamplesPerTransaction a transaction is committed once it holds this many samples
 * @param maxQueuedSamples samples waiting for a transaction beyond which publish refuses with
 *     {@link PublishException} (overload)
 * @param timeout how long a transaction may take, and how long to wait for Kafka when it is away
 * @param replicaLabels labels left out of the series key (see {@link SeriesKey})
 * @param timestamps the sample times taken; a publish with a sample outside them fails whole,
 *     before anything is sent
 */
public record PublisherConfig(
    KafkaConnection kafka,
    RegistryClientConfig registry,
    String topic,
    String transactionalId,
    Duration commitInterval,
    int maxSamplesPerTransaction,
    long maxQueuedSamples,
    Duration timeout,
    Set<String> replicaLabels,
    SampleTimestamps timestamps) {

  public PublisherConfig {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(transactionalId, "transactionalId");
    Objects.requireNonNull(commitInterval, "commitInterval");
    if (commitInterval.isNegative()) {
      throw new IllegalArgumentException("commitInterval must not be negative");
    }
    if (maxSamplesPerTransaction < 1) {
      throw new IllegalArgumentException("maxSamplesPerTransaction must be at least 1");
    }
    if (maxQueuedSamples < maxSamplesPerTransaction) {
      throw new IllegalArgumentException(
          "maxQueuedSamples must be at least maxSamplesPerTransaction");
    }
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.toMillis() < 1000) {
      throw new IllegalArgumentException("timeout must be at least 1 s");
    }
    replicaLabels = Set.copyOf(replicaLabels);
    Objects.requireNonNull(timestamps, "timestamps");
  }

  /**
   * Defaults: topic metrics.samples, 5 ms group commit, 10 s timeout, a random transactional id,
   * samples at most 10 minutes ahead.
   */
  public static PublisherConfig defaults(KafkaConnection kafka, RegistryClientConfig registry) {
    return new PublisherConfig(
        kafka,
        registry,
        Topics.SAMPLES,
        "metrics-publisher-" + UUID.randomUUID(),
        Duration.ofMillis(5),
        50_000,
        1_000_000,
        Duration.ofSeconds(10),
        Set.of(SeriesKey.DEFAULT_REPLICA_LABEL),
        SampleTimestamps.defaults());
  }

  public PublisherConfig withTopic(String topic) {
    return toBuilder().topic(topic).build();
  }

  public PublisherConfig withTransactionalId(String transactionalId) {
    return toBuilder().transactionalId(transactionalId).build();
  }

  public PublisherConfig withCommitInterval(Duration commitInterval) {
    return toBuilder().commitInterval(commitInterval).build();
  }

  public PublisherConfig withTimeout(Duration timeout) {
    return toBuilder().timeout(timeout).build();
  }

  public PublisherConfig withLimits(int maxSamplesPerTransaction, long maxQueuedSamples) {
    return toBuilder()
        .maxSamplesPerTransaction(maxSamplesPerTransaction)
        .maxQueuedSamples(maxQueuedSamples)
        .build();
  }

  public PublisherConfig withReplicaLabels(Set<String> replicaLabels) {
    return toBuilder().replicaLabels(replicaLabels).build();
  }

  public PublisherConfig withTimestamps(SampleTimestamps timestamps) {
    return toBuilder().timestamps(timestamps).build();
  }

  public PublisherConfig withKafka(KafkaConnection kafka) {
    return toBuilder().kafka(kafka).build();
  }

  /** A builder holding this config's values; {@link Builder#build()} validates. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a {@link PublisherConfig}, starting from an existing one. */
  public static final class Builder {
    private KafkaConnection kafka;
    private RegistryClientConfig registry;
    private String topic;
    private String transactionalId;
    private Duration commitInterval;
    private int maxSamplesPerTransaction;
    private long maxQueuedSamples;
    private Duration timeout;
    private Set<String> replicaLabels;
    private SampleTimestamps timestamps;

    private Builder(PublisherConfig c) {
      kafka = c.kafka;
      registry = c.registry;
      topic = c.topic;
      transactionalId = c.transactionalId;
      commitInterval = c.commitInterval;
      maxSamplesPerTransaction = c.maxSamplesPerTransaction;
      maxQueuedSamples = c.maxQueuedSamples;
      timeout = c.timeout;
      replicaLabels = c.replicaLabels;
      timestamps = c.timestamps;
    }

    public Builder kafka(KafkaConnection kafka) {
      this.kafka = kafka;
      return this;
    }

    public Builder registry(RegistryClientConfig registry) {
      this.registry = registry;
      return this;
    }

    public Builder topic(String topic) {
      this.topic = topic;
      return this;
    }

    public Builder transactionalId(String transactionalId) {
      this.transactionalId = transactionalId;
      return this;
    }

    public Builder commitInterval(Duration commitInterval) {
      this.commitInterval = commitInterval;
      return this;
    }

    public Builder maxSamplesPerTransaction(int maxSamplesPerTransaction) {
      this.maxSamplesPerTransaction = maxSamplesPerTransaction;
      return this;
    }

    public Builder maxQueuedSamples(long maxQueuedSamples) {
      this.maxQueuedSamples = maxQueuedSamples;
      return this;
    }

    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    public Builder replicaLabels(Set<String> replicaLabels) {
      this.replicaLabels = replicaLabels;
      return this;
    }

    public Builder timestamps(SampleTimestamps timestamps) {
      this.timestamps = timestamps;
      return this;
    }

    public PublisherConfig build() {
      return new PublisherConfig(
          kafka,
          registry,
          topic,
          transactionalId,
          commitInterval,
          maxSamplesPerTransaction,
          maxQueuedSamples,
          timeout,
          replicaLabels,
          timestamps);
    }
  }
}
