package dev.metricspipeline.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class MetricsPublisherIT {

  @Test
  void publishedSamplesReadBackEqualKeyedBySeriesId(KafkaCluster kafka) throws Exception {
    String topic = kafka.uniqueTopic("samples");
    kafka.createTopic(topic, 3);
    List<MetricSample> samples = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      samples.add(
          Samples.gauge(
              "m" + (i % 7), Map.of("job", "j", "i", Integer.toString(i % 5)), i, 1_000L * i));
    }
    samples.add(Samples.gauge("gone", Map.of("job", "j"), StaleMarker.VALUE, 99_000L));
    RegistryClientConfig registry = RegistryClientConfig.of(kafka.schemaRegistryUrl());

    try (MetricsPublisher publisher =
        MetricsPublisher.start(
            PublisherConfig.defaults(KafkaConnection.of(kafka.bootstrapServers()), registry)
                .withTopic(topic))) {
      CompletableFuture<Void> first = publisher.publish(samples.subList(0, 20));
      // The scraper's way: ids it already has (every other one here), the rest computed.
      List<MetricSample> rest = samples.subList(20, samples.size());
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < rest.size(); i++) {
        ids.add(i % 2 == 0 ? SeriesKey.standard().idOf(rest.get(i)) : null);
      }
      CompletableFuture<Void> second = publisher.publishKeyed(rest, ids);
      assertThatThrownBy(() -> publisher.publishKeyed(rest, ids.subList(1, ids.size())))
          .isInstanceOf(IllegalArgumentException.class);
      CompletableFuture.allOf(first, second).get(30, TimeUnit.SECONDS);
      assertThat(publisher.samplesPublished()).isEqualTo(samples.size());
    }

    List<ConsumerRecord<String, MetricSample>> read = readAll(kafka, topic, samples.size());
    // Trap: Avro's generated equals() compares doubles with ==, so a NaN sample never equals
    // itself.
    assertThat(read.stream().map(ConsumerRecord::value).filter(s -> !Double.isNaN(s.getValue())))
        .containsExactlyInAnyOrderElementsOf(samples.subList(0, samples.size() - 1));
    for (ConsumerRecord<String, MetricSample> record : read) {
      assertThat(record.key()).isEqualTo(SeriesKey.standard().idOf(record.value()));
    }
    MetricSample stale =
        read.stream()
            .map(ConsumerRecord::value)
            .filter(s -> s.getName().equals("gone"))
            .findFirst()
            .orElseThrow();
    assertThat(Double.doubleToRawLongBits(stale.getValue())).isEqualTo(StaleMarker.BITS);
    // One series, one partition, in publish order.
    Map<String, Integer> partitionOfKey = new java.util.HashMap<>();
    for (ConsumerRecord<String, MetricSample> record : read) {
      assertThat(partitionOfKey.computeIfAbsent(record.key(), k -> record.partition()))
          .as("partition of %s", record.key())
          .isEqualTo(record.partition());
    }
  }

  @Test
  void kafkaUnreachableFailsThePublishAsRetriable(KafkaCluster kafka) {
    PublisherConfig config =
        PublisherConfig.defaults(
                KafkaConnection.of("127.0.0.1:1"),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTimeout(Duration.ofSeconds(2));
    try (MetricsPublisher publisher = MetricsPublisher.start(config)) {
      CompletableFuture<Void> done = publisher.publish(List.of(Samples.gauge("x", Map.of(), 1, 1)));
      assertThatThrownBy(() -> done.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(PublishException.class)
          .satisfies(e -> assertThat(((PublishException) e).isRetriable()).isTrue());
      assertThat(publisher.transactionsFailed()).isEqualTo(1);
      assertThat(publisher.queuedSamples()).isZero();
    }
  }

  /** The samples are encoded by the caller: a registry that does not answer fails it at once. */
  @Test
  void aRegistryThatDoesNotAnswerFailsThePublishAsRetriableBeforeKafka() {
    PublisherConfig config =
        PublisherConfig.defaults(
                KafkaConnection.of("127.0.0.1:1"), RegistryClientConfig.of("http://127.0.0.1:1"))
            .withTimeout(Duration.ofSeconds(2));
    try (MetricsPublisher publisher = MetricsPublisher.start(config)) {
      CompletableFuture<Void> done = publisher.publish(List.of(Samples.gauge("x", Map.of(), 1, 1)));
      assertThatThrownBy(() -> done.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(PublishException.class)
          .hasMessageContaining("Schema Registry")
          .satisfies(e -> assertThat(((PublishException) e).isRetriable()).isTrue());
      assertThat(publisher.transactionsFailed()).isZero();
      assertThat(publisher.queuedSamples()).isZero();
    }
  }

  private static List<ConsumerRecord<String, MetricSample>> readAll(
      KafkaCluster kafka, String topic, int expected) {
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.setProperty(ConsumerConfig.GROUP_ID_CONFIG, topic + "-reader");
    p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    SchemaRegistryClient registry =
        new SchemaRegistryClient(RegistryClientConfig.of(kafka.schemaRegistryUrl()));
    List<ConsumerRecord<String, MetricSample>> out = new ArrayList<>();
    try (KafkaConsumer<String, MetricSample> consumer =
        new KafkaConsumer<>(
            p, new StringDeserializer(), AvroDeserializer.specific(registry, MetricSample.class))) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    assertThat(out).as("records read from %s", topic).hasSize(expected);
    return out;
  }
}
