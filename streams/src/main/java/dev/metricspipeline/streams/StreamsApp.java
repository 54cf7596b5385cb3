package dev.metricspipeline.streams;

import dev.metricspipeline.runtime.StageHealth;
import dev.metricspipeline.runtime.StreamsFaults;
import dev.metricspipeline.runtime.TopicAdmin;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import dev.metricspipeline.schemas.serde.AvroSerializer;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
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

  private final KafkaStreams streams;
  private final DropCounters drops;
  private final CountDownLatch running;
  private final StageHealth health;

  private StreamsApp(
      KafkaStreams streams, DropCounters drops, CountDownLatch running, StageHealth health) {
    this.streams = streams;
    this.drops = drops;
    this.running = running;
    this.health = health;
  }

  /**
   * Waits until the application first reaches RUNNING (its partitions assigned and stores
   * restored). Samples that arrive before then wait in Kafka; with a short grace they can be late
   * by the time they are processed, so callers that want a warm stage wait here first.
   *
   * @return true if it is running, false if the timeout passed first
   */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Starts the application.
   *
   * @param applicationId the Kafka Streams application id (consumer group, internal topic prefix)
   * @param stateDir where the RocksDB stores live
   * @param kafka further client settings (SASL, TLS), passed to every client
   */
  public static StreamsApp start(
      StreamsSettings settings,
      String bootstrapServers,
      RegistryClientConfig registry,
      String applicationId,
      Path stateDir,
      Map<String, String> kafka) {
    return start(
        settings,
        bootstrapServers,
        registry,
        applicationId,
        stateDir,
        kafka,
        new SimpleMeterRegistry());
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
      String bootstrapServers,
      RegistryClientConfig registry,
      String applicationId,
      Path stateDir,
      Map<String, String> kafka,
      MeterRegistry meters) {
    SchemaRegistryClient client = new SchemaRegistryClient(registry);
    DropCounters drops = new DropCounters();
    drops.bindTo(meters);
    if (!settings.aggregationRules().isEmpty()) {
      createAggregationTopics(settings, bootstrapServers, kafka);
    }
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    // Forward compatible with Kafka 5.0, where it becomes the default. Kafka 4.4 still warns about
    // it from internal configs that lack it; the launcher filters that line (KafkaNoiseFilter).
    props.putIfAbsent("processing.exception.handler.global.enabled", "true");
    StageHealth health = StageHealth.of("streams").bindTo(meters);
    StreamsFaults faults =
        new StreamsFaults(
            settings.rejectedTopic(), new AvroSerializer<>(client, true), drops::increment, health);
    faults.configure(props);
    java.util.concurrent.atomic.AtomicReference<KafkaStreams> app =
        new java.util.concurrent.atomic.AtomicReference<>();
    InputBacklog backlog =
        InputBacklog.fromConsumerLag(
            () -> app.get() == null ? Map.of() : app.get().metrics(),
            settings.closeCheckInterval().toMillis());
    KafkaStreams streams =
        new KafkaStreams(
            MetricsTopology.build(
                settings,
                AvroDeserializer.specific(client, MetricSample.class),
                new AvroSerializer<>(client, true),
                new AvroSerializer<>(client, true),
                drops,
                backlog),
            props);
    app.set(streams);
    streams.setUncaughtExceptionHandler(faults.uncaughtHandler());
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING) {
            running.countDown();
          }
        });
    new KafkaStreamsMetrics(streams).bindTo(meters);
    streams.start();
    LOG.info(
        "Streams {} started: {} -> rollups {} (grace {})",
        applicationId,
        settings.samplesTopic(),
        settings.resolutions().stream().map(StreamsSettings.Resolution::name).toList(),
        settings.grace());
    return new StreamsApp(streams, drops, running, health);
  }

  /**
   * Creates {@code metrics.aggregation.<resolution>} with as many partitions as the samples topic,
   * if missing. They carry closed per-series rollups to their group; a day's retention is plenty.
   */
  private static void createAggregationTopics(
      StreamsSettings settings, String bootstrapServers, Map<String, String> kafka) {
    int partitions = TopicAdmin.partitions(bootstrapServers, kafka, settings.samplesTopic());
    List<NewTopic> wanted = new ArrayList<>();
    for (StreamsSettings.Resolution resolution : settings.resolutions()) {
      wanted.add(
          new NewTopic(
                  settings.aggregationTopic(resolution), Optional.of(partitions), Optional.empty())
              .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "86400000")));
    }
    TopicAdmin.createMissing(bootstrapServers, kafka, wanted);
  }

  /** What was not rolled up, and rollups emitted. */
  public DropCounters drops() {
    return drops;
  }

  /** Whether the stage works: failed once its faults exceed the bound (see the class comment). */
  public StageHealth health() {
    return health;
  }

  /**
   * Ready: RUNNING (or rebalancing after a replaced thread) and not failed. Not ready before the
   * first RUNNING, when stopped or in error, or while faults exceed the bound.
   */
  public boolean ready() {
    KafkaStreams.State state = streams.state();
    return running.getCount() == 0
        && (state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING)
        && health.healthy();
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
