package dev.metricspipeline.streams;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.registry.SchemaRegistry;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import dev.metricspipeline.schemas.serde.SamplesDeserializer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The topology in a {@link TopologyTestDriver} whose wall clock starts at {@link #T0}, with the
 * samples topic and the 1m, 5m and rejected topics wired to an in-memory registry.
 */
final class TopologyFixture implements AutoCloseable {

  /** 2026-01-01T00:00:00Z: aligned to every resolution. */
  static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

  /** Ids pinned in memory, so no registry is needed. */
  static class InMemoryRegistry implements SchemaRegistry {
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<Integer, Schema> schemas = new HashMap<>();

    @Override
    public int register(String subject, Schema schema) {
      return ids.computeIfAbsent(
          schema.toString(),
          k -> {
            int id = schemas.size() + 1;
            schemas.put(id, schema);
            return id;
          });
    }

    @Override
    public int idOf(String subject, Schema schema) {
      return register(subject, schema);
    }

    @Override
    public Schema schemaById(int id) {
      return schemas.get(id);
    }
  }

  final InMemoryRegistry registry = new InMemoryRegistry();
  final DropCounters drops = new DropCounters();
  final TopologyTestDriver driver;
  final TestInputTopic<String, MetricSample> samples;
  final TestInputTopic<String, byte[]> raw;
  final TestOutputTopic<String, Rollup> rollups1m;
  final TestOutputTopic<String, Rollup> rollups5m;
  final TestOutputTopic<String, Rejected> rejected;
  private long elapsed;

  TopologyFixture(StreamsSettings settings, InputBacklog backlog) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            MetricsTopology.build(
                settings,
                new SamplesDeserializer(registry),
                new AvroSerializer<>(registry, true),
                new AvroSerializer<>(registry, true),
                drops,
                backlog),
            props,
            Instant.ofEpochMilli(T0));
    samples =
        driver.createInputTopic(
            "metrics.samples", new StringSerializer(), new AvroSerializer<>(registry, true));
    raw =
        driver.createInputTopic(
            "metrics.samples", new StringSerializer(), new ByteArraySerializer());
    rollups1m = output("metrics.rollups.1m", Rollup.class);
    rollups5m = output("metrics.rollups.5m", Rollup.class);
    rejected = output("metrics.rejected", Rejected.class);
  }

  private <T extends org.apache.avro.specific.SpecificRecord> TestOutputTopic<String, T> output(
      String topic, Class<T> type) {
    return driver.createOutputTopic(
        topic, new StringDeserializer(), AvroDeserializer.specific(registry, type));
  }

  /**
   * Moves the wall clock to {@code ms} in steps of at most one second, firing the window check once
   * per step as the running stage does every second.
   */
  void wallClock(long ms) {
    while (T0 + elapsed < ms) {
      long step = Math.min(1_000, ms - T0 - elapsed);
      driver.advanceWallClockTime(Duration.ofMillis(step));
      elapsed += step;
    }
  }

  /** Moves the wall clock in one step: one check at the end, as after a stall of the thread. */
  void stall(Duration d) {
    driver.advanceWallClockTime(d);
    elapsed += d.toMillis();
  }

  /** Milliseconds the wall clock moved since {@link #T0}. */
  long elapsed() {
    return elapsed;
  }

  @Override
  public void close() {
    driver.close();
  }
}
