package dev.metricspipeline.normalizer;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
 * Runs {@link NormalizerTopology} with {@code exactly_once_v2}: a message's samples (or its
 * rejection) and its input offset commit together, so a restart neither loses nor repeats one. Its
 * counts are published as {@code normalizer_messages_total}, {@code normalizer_samples_total} and
 * {@code normalizer_rejected_total}, with Kafka Streams' metrics.
 */
public final class Normalizer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Normalizer.class);

  private final KafkaStreams streams;
  private final NormalizerTopology.Counts counts;
  private final CountDownLatch running;

  private Normalizer(
      KafkaStreams streams, NormalizerTopology.Counts counts, CountDownLatch running) {
    this.streams = streams;
    this.counts = counts;
    this.running = running;
  }

  /**
   * Starts reading the sources (which must exist) into {@code metrics.samples}.
   *
   * @param applicationId the Kafka Streams application id
   */
  public static Normalizer start(
      List<KafkaSource> sources,
      String bootstrapServers,
      RegistryClientConfig registry,
      String applicationId,
      Path stateDir,
      Map<String, String> kafka,
      MeterRegistry meters) {
    return start(
        sources,
        Topics.SAMPLES,
        Topics.REJECTED,
        bootstrapServers,
        registry,
        applicationId,
        stateDir,
        kafka,
        meters);
  }

  /** Starts with other output topics than {@code metrics.samples} and {@code metrics.rejected}. */
  public static Normalizer start(
      List<KafkaSource> sources,
      String samplesTopic,
      String rejectedTopic,
      String bootstrapServers,
      RegistryClientConfig registry,
      String applicationId,
      Path stateDir,
      Map<String, String> kafka,
      MeterRegistry meters) {
    SchemaRegistryClient client = new SchemaRegistryClient(registry);
    NormalizerTopology.Counts counts = new NormalizerTopology.Counts();
    Properties props = new Properties();
    props.putAll(kafka);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    props.putIfAbsent("processing.exception.handler.global.enabled", "true");
    KafkaStreams streams =
        new KafkaStreams(
            NormalizerTopology.build(
                sources,
                samplesTopic,
                rejectedTopic,
                SeriesKey.standard(),
                new AvroSerializer<>(client, true),
                new AvroSerializer<>(client, true),
                counts),
            props);
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("Normalizer thread failed; replacing it", e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING) {
            running.countDown();
          }
        });
    for (String what : List.of("messages", "samples", "rejected")) {
      FunctionCounter.builder("normalizer." + what, counts, c -> c.get(what))
          .description("Raw-topic " + what + " handled by the normalizer")
          .register(meters);
    }
    new KafkaStreamsMetrics(streams).bindTo(meters);
    streams.start();
    LOG.info(
        "Normalizer {} reading {}",
        applicationId,
        sources.stream().map(s -> s.topic() + " (" + s.format().key() + ")").toList());
    return new Normalizer(streams, counts, running);
  }

  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether the application is RUNNING now. */
  public boolean running() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  public NormalizerTopology.Counts counts() {
    return counts;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
