package dev.metricspipeline.streams;

import dev.metricspipeline.runtime.StageHealth;
import dev.metricspipeline.runtime.StreamsFaults;
import dev.metricspipeline.runtime.StreamsRunner;
import dev.metricspipeline.runtime.TopicAdmin;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import dev.metricspipeline.schemas.serde.SamplesDeserializer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link MetricsTopology} with {@code processing.guarantee=exactly_once_v2}: a sample's effect
 * on the stores, the rollups it closes and the input offsets commit together. Several instances
 * with the same application id share the partitions of {@code metrics.samples}.
 *
 * <p>No record stops it: one that a processor throws on, or whose output cannot be written, goes to
 * {@code metrics.rejected} with its coordinates and the stage goes on. A fault that is not about
 * one record (registry or broker away, a store failing) replaces the stream thread after a backoff
 * (1 s doubling to 16 s), counted in {@code stage_faults_total{stage="streams"}}; more than five in
 * a row make {@link #health()} report the stage failed (readiness 503) until two quiet minutes
 * pass. See {@code StreamsFaults}.
 */
public final class StreamsApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

  private final StreamsRunner runner;
  private final DropCounters drops;

  private StreamsApp(StreamsRunner runner, DropCounters drops) {
    this.runner = runner;
    this.drops = drops;
  }

  /**
   * Waits until the application first reaches RUNNING (its partitions assigned and stores
   * restored). Samples that arrive before then wait in Kafka; with a short grace they can be late
   * by the time they are processed, so callers that want a warm stage wait here first.
   *
   * @return true if it is running, false if the timeout passed first
   */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    return runner.awaitRunning(timeout);
  }

  /**
   * Starts the application.
   *
   * @param applicationId the Kafka Streams application id (consumer group, internal topic prefix)
   * @param stateDir where the RocksDB stores live
   * @param kafka where Kafka is; its settings (SASL, TLS, Kafka Streams tuning) go to every client
   */
  public static StreamsApp start(
      StreamsSettings settings,
      KafkaConnection kafka,
      RegistryClientConfig registry,
      String applicationId,
      Path stateDir) {
    return start(settings, kafka, registry, applicationId, stateDir, new SimpleMeterRegistry());
  }

  /**
   * Starts the application and publishes its metrics: the counts of {@link DropCounters}, and Kafka
   * Streams' own metrics (consumer lag as {@code kafka_consumer_fetch_manager_records_lag_max},
   * process rates, state stores) through Micrometer's {@link KafkaStreamsMetrics}.
   *
   * @param meters where the metrics go (the /metrics registry of the process)
   */
  public static StreamsApp start(
      StreamsSettings settings,
      KafkaConnection kafka,
      RegistryClientConfig registry,
      String applicationId,
      Path stateDir,
      MeterRegistry meters) {
    SchemaRegistryClient client = new SchemaRegistryClient(registry);
    DropCounters drops = new DropCounters();
    drops.bindTo(meters);
    if (!settings.aggregationRules().isEmpty()) {
      createAggregationTopics(settings, kafka);
    }
    Properties props = StreamsRunner.properties(applicationId, kafka, stateDir);
    StageHealth health = StageHealth.of("streams").bindTo(meters);
    StreamsFaults faults =
        new StreamsFaults(
            settings.rejectedTopic(), new AvroSerializer<>(client, true), drops::increment, health);
    AtomicReference<StreamsRunner> app = new AtomicReference<>();
    InputBacklog backlog =
        InputBacklog.fromConsumerLag(
            () -> app.get() == null ? Map.of() : app.get().metrics(),
            settings.closeCheckInterval().toMillis());
    StreamsRunner runner =
        StreamsRunner.start(
            MetricsTopology.build(
                settings,
                new SamplesDeserializer(client),
                new AvroSerializer<>(client, true),
                new AvroSerializer<>(client, true),
                drops,
                backlog),
            props,
            faults,
            health,
            meters);
    app.set(runner);
    LOG.info(
        "Streams {} started: {} -> rollups {} (grace {})",
        applicationId,
        settings.samplesTopic(),
        settings.resolutions().stream().map(StreamsSettings.Resolution::name).toList(),
        settings.grace());
    return new StreamsApp(runner, drops);
  }

  /**
   * Creates {@code metrics.aggregation.<resolution>} with as many partitions as the samples topic,
   * if missing. They carry closed per-series rollups to their group; a day's retention is plenty.
   */
  private static void createAggregationTopics(StreamsSettings settings, KafkaConnection kafka) {
    int partitions = TopicAdmin.partitions(kafka, settings.samplesTopic());
    List<NewTopic> wanted = new ArrayList<>();
    for (StreamsSettings.Resolution resolution : settings.resolutions()) {
      wanted.add(
          new NewTopic(
                  settings.aggregationTopic(resolution), Optional.of(partitions), Optional.empty())
              .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "86400000")));
    }
    TopicAdmin.createMissing(kafka, wanted);
  }

  /** What was not rolled up, and rollups emitted. */
  public DropCounters drops() {
    return drops;
  }

  /** Whether the stage works: failed once its faults exceed the bound (see the class comment). */
  public StageHealth health() {
    return runner.health();
  }

  /**
   * Ready: RUNNING (or rebalancing after a replaced thread) and not failed. Not ready before the
   * first RUNNING, when stopped or in error, or while faults exceed the bound.
   */
  public boolean ready() {
    return runner.ready();
  }

  public KafkaStreams.State state() {
    return runner.state();
  }

  @Override
  public void close() {
    runner.close();
  }
}
