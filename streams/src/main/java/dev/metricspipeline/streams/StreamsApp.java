package dev.metricspipeline.streams;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link MetricsTopology} with {@code processing.guarantee=exactly_once_v2}: a sample's effect
 * on the stores, the rollups it closes and the input offsets commit together. Several instances
 * with the same application id share the partitions of {@code metrics.samples}.
 *
 * <p>An unexpected error replaces the failing stream thread (it restores from the changelogs and
 * goes on) rather than stopping the application; it is logged.
 */
public final class StreamsApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

  private final KafkaStreams streams;
  private final DropCounters drops;
  private final CountDownLatch running;

  private StreamsApp(KafkaStreams streams, DropCounters drops, CountDownLatch running) {
    this.streams = streams;
    this.drops = drops;
    this.running = running;
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
    SchemaRegistryClient client = new SchemaRegistryClient(registry);
    DropCounters drops = new DropCounters();
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    // Forward compatible with Kafka 5.0, where it becomes the default (and silences a warning).
    props.putIfAbsent("processing.exception.handler.global.enabled", "true");
    KafkaStreams streams =
        new KafkaStreams(
            MetricsTopology.build(
                settings,
                AvroDeserializer.specific(client, MetricSample.class),
                new AvroSerializer<>(client, true),
                new AvroSerializer<>(client, true),
                drops),
            props);
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("Stream thread failed; replacing it", e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING) {
            running.countDown();
          }
        });
    streams.start();
    LOG.info(
        "Streams {} started: {} -> rollups {} (grace {})",
        applicationId,
        settings.samplesTopic(),
        settings.resolutions().stream().map(StreamsSettings.Resolution::name).toList(),
        settings.grace());
    return new StreamsApp(streams, drops, running);
  }

  /** What was not rolled up, and rollups emitted. */
  public DropCounters drops() {
    return drops;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
