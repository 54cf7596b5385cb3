package dev.metricspipeline.push;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.SamplesDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads committed samples of a topic in tests, each batch record as its samples. */
final class SampleReader {
  private SampleReader() {}

  /** Everything committed so far, read until {@code done} holds or the timeout passes. */
  static List<MetricSample> read(
      String bootstrap,
      String registryUrl,
      String topic,
      Predicate<List<MetricSample>> done,
      Duration timeout) {
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.setProperty(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime());
    p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<MetricSample> out = new ArrayList<>();
    SchemaRegistryClient registry = new SchemaRegistryClient(RegistryClientConfig.of(registryUrl));
    try (KafkaConsumer<String, List<MetricSample>> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new SamplesDeserializer(registry))) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.test(out) && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> out.addAll(r.value()));
      }
    }
    return out;
  }
}
