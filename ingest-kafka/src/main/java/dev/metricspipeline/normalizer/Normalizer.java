package dev.metricspipeline.normalizer;

import dev.metricspipeline.runtime.StageHealth;
import dev.metricspipeline.runtime.StreamsFaults;
import dev.metricspipeline.runtime.StreamsRunner;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link NormalizerTopology} with {@code exactly_once_v2}: a message's samples (or its
 * rejection) and its input offset commit together, so a restart neither loses nor repeats one. Its
 * counts are published as {@code normalizer_messages_total}, {@code normalizer_samples_total} and
 * {@code normalizer_rejected_total}, with Kafka Streams' metrics.
 *
 * <p>No message stops it: one the normalizer throws on, or whose output cannot be written, goes to
 * {@code metrics.rejected}; a fault that is not about one message (registry or broker away) is
 * retried with backoff and counted in {@link #health()} (see {@link StreamsFaults}).
 */
public final class Normalizer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Normalizer.class);

  private final StreamsRunner runner;
  private final NormalizerTopology.Counts counts;

  private Normalizer(StreamsRunner runner, NormalizerTopology.Counts counts) {
    this.runner = runner;
    this.counts = counts;
  }

  /**
   * Starts reading the sources (which must exist) into {@code metrics.samples}.
   *
   * @param timestamps sample times taken; a message with a sample outside them is rejected whole
   * @param applicationId the Kafka Streams application id
   */
  public static Normalizer start(
      List<KafkaSource> sources,
      SampleTimestamps timestamps,
      KafkaConnection kafka,
      RegistryClientConfig registry,
      String applicationId,
      Path stateDir,
      MeterRegistry meters) {
    return start(
        sources,
        timestamps,
        Topics.SAMPLES,
        Topics.REJECTED,
        kafka,
        registry,
        applicationId,
        stateDir,
        meters);
  }

  /** Starts with other output topics than {@code metrics.samples} and {@code metrics.rejected}. */
  public static Normalizer start(
      List<KafkaSource> sources,
      SampleTimestamps timestamps,
      String samplesTopic,
      String rejectedTopic,
      KafkaConnection kafka,
      RegistryClientConfig registry,
      String applicationId,
      Path stateDir,
      MeterRegistry meters) {
    SchemaRegistryClient client = new SchemaRegistryClient(registry);
    NormalizerTopology.Counts counts = new NormalizerTopology.Counts();
    Properties props = StreamsRunner.properties(applicationId, kafka, stateDir);
    StageHealth health = StageHealth.of("normalizer").bindTo(meters);
    StreamsFaults faults =
        new StreamsFaults(
            rejectedTopic,
            new AvroSerializer<>(client, true),
            reason -> counts.add("rejected", 1),
            health);
    for (String what : List.of("messages", "samples", "rejected")) {
      FunctionCounter.builder("normalizer." + what, counts, c -> c.get(what))
          .description("Raw-topic " + what + " handled by the normalizer")
          .register(meters);
    }
    StreamsRunner runner =
        StreamsRunner.start(
            NormalizerTopology.build(
                sources,
                samplesTopic,
                rejectedTopic,
                SeriesKey.standard(),
                timestamps,
                new AvroSerializer<>(client, true),
                new AvroSerializer<>(client, true),
                counts),
            props,
            faults,
            health,
            meters);
    LOG.info(
        "Normalizer {} reading {}",
        applicationId,
        sources.stream().map(s -> s.topic() + " (" + s.format().key() + ")").toList());
    return new Normalizer(runner, counts);
  }

  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    return runner.awaitRunning(timeout);
  }

  /**
   * Whether the stage works: failed once its faults exceed the bound (see {@link StreamsFaults}).
   */
  public StageHealth health() {
    return runner.health();
  }

  /** Whether the application is RUNNING now. */
  public boolean running() {
    return runner.state() == KafkaStreams.State.RUNNING;
  }

  public NormalizerTopology.Counts counts() {
    return counts;
  }

  @Override
  public void close() {
    runner.close();
  }
}
