package dev.metricspipeline.runtime;

import dev.metricspipeline.schemas.KafkaConnection;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

/**
 * How every Kafka Streams stage (the rollups, the normalizer) runs: the settings they share
 * (exactly-once v2, a 100 ms commit interval and lz4 on the producer unless set, the global
 * processing-exception handler), {@link StreamsFaults} for what fails, Kafka Streams' metrics in
 * the process registry, and readiness from the state and the stage's health.
 */
public final class StreamsRunner implements AutoCloseable {

  private final KafkaStreams streams;
  private final CountDownLatch running;
  private final StageHealth health;

  private StreamsRunner(KafkaStreams streams, CountDownLatch running, StageHealth health) {
    this.streams = streams;
    this.running = running;
    this.health = health;
  }

  /**
   * The properties of a stage's application.
   *
   * @param kafka the stage's connection; its settings (SASL, TLS, Kafka Streams tuning) go to every
   *     client, and a commit interval given there wins
   */
  public static Properties properties(String applicationId, KafkaConnection kafka, Path stateDir) {
    Properties props = kafka.properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    // Every state put becomes a changelog record: lz4 on the stage's producer cut the process's CPU
    // by 8% and raised StreamsLoad's rate 5% (bench/README). A compression given for all clients
    // or for producers wins.
    producerDefault(props, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // A state entry is about 1.3 kB, so the producer's default 16 KiB batch filled after a dozen
    // changelog records and every new batch paid an lz4 header (its xxhash through JNI: 6.6% of a
    // profile). 256 KiB batches: StreamsLoad at 10,000 series 82-88k -> 105k samples/s, process
    // CPU per sample down a third (bench/README). A batch size given for all clients or for
    // producers wins.
    producerDefault(props, ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    // Forward compatible with Kafka 5.0, where it becomes the default. Kafka 4.4 still warns about
    // it from internal configs that lack it; the launcher filters that line (KafkaNoiseFilter).
    props.putIfAbsent("processing.exception.handler.global.enabled", "true");
    return props;
  }

  /** Sets a producer setting for the stage's producers unless given for all clients or them. */
  private static void producerDefault(Properties props, String setting, String value) {
    if (!props.containsKey(setting) && !props.containsKey(StreamsConfig.producerPrefix(setting))) {
      props.put(StreamsConfig.producerPrefix(setting), value);
    }
  }

  /**
   * Configures the fault handlers on {@code props}, builds and starts the application.
   *
   * @param faults the stage's fault handling, whose health this runner reports
   */
  public static StreamsRunner start(
      Topology topology,
      Properties props,
      StreamsFaults faults,
      StageHealth health,
      MeterRegistry meters) {
    faults.configure(props);
    KafkaStreams streams = new KafkaStreams(topology, props);
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
    return new StreamsRunner(streams, running, health);
  }

  /**
   * Waits until the application first reaches RUNNING (partitions assigned, stores restored).
   *
   * @return true if it is running, false if the timeout passed first
   */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Ready: RUNNING (or rebalancing after a replaced thread) and healthy. Not ready before the first
   * RUNNING, when stopped or in error, or while faults exceed the bound.
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

  /** Kafka Streams' own metrics, e.g. for the consumer lag. */
  public Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric>
      metrics() {
    return streams.metrics();
  }

  public StageHealth health() {
    return health;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
