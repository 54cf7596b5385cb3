package dev.metricspipeline.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import dev.metricspipeline.schemas.serde.SamplesDeserializer;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import java.nio.charset.StandardCharsets;
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
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class MetricsPublisherIT {

  @Test
  void publishedSamplesReadBackEqualInBatchesOnTheirSeriesPartition(KafkaCluster kafka)
      throws Exception {
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
      // The scraper's way: series it already encoded (every other one here), the rest made here.
      List<MetricSample> rest = samples.subList(20, samples.size());
      List<EncodedSeries> series = new ArrayList<>();
      for (int i = 0; i < rest.size(); i++) {
        MetricSample sample = rest.get(i);
        series.add(i % 2 == 0 ? EncodedSeries.of(sample, SeriesKey.standard().idOf(sample)) : null);
      }
      CompletableFuture<Void> second = publisher.publishEncoded(rest, series);
      assertThatThrownBy(() -> publisher.publishEncoded(rest, series.subList(1, series.size())))
          .isInstanceOf(IllegalArgumentException.class);
      CompletableFuture.allOf(first, second).get(30, TimeUnit.SECONDS);
      assertThat(publisher.samplesPublished()).isEqualTo(samples.size());
    }

    List<ConsumerRecord<String, List<MetricSample>>> records =
        readAll(kafka, topic, samples.size());
    assertThat(records)
        .as("one SampleBatch per partition and transaction, not a record per sample")
        .hasSizeLessThanOrEqualTo(6)
        .allSatisfy(r -> assertThat(r.key()).isNull());
    List<MetricSample> read = new ArrayList<>();
    for (ConsumerRecord<String, List<MetricSample>> record : records) {
      for (MetricSample sample : record.value()) {
        String id = SeriesKey.standard().idOf(sample);
        assertThat(sample.getSeriesId()).isEqualTo(id);
        assertThat(record.partition())
            .as("partition of %s: the one Kafka's partitioner picks for the id as a key", id)
            .isEqualTo(BuiltInPartitioner.partitionForKey(id.getBytes(StandardCharsets.UTF_8), 3));
        sample.setSeriesId(null);
        read.add(sample);
      }
    }
    // Trap: Avro's generated equals() compares doubles with ==, so a NaN sample never equals
    // itself. Read in partition order, then record order: one series' samples in publish order.
    assertThat(read.stream().filter(s -> !Double.isNaN(s.getValue())))
        .containsExactlyInAnyOrderElementsOf(samples.subList(0, samples.size() - 1));
    Map<String, List<Long>> timesOfSeries = new java.util.HashMap<>();
    for (MetricSample sample : read) {
      timesOfSeries
          .computeIfAbsent(SeriesKey.standard().idOf(sample), k -> new ArrayList<>())
          .add(sample.getTimestamp());
    }
    assertThat(timesOfSeries.values()).anySatisfy(times -> assertThat(times).hasSizeGreaterThan(1));
    assertThat(timesOfSeries.values())
        .as("one series, one partition, in publish order")
        .allSatisfy(times -> assertThat(times).isSorted());
    MetricSample stale =
        read.stream().filter(s -> s.getName().equals("gone")).findFirst().orElseThrow();
    assertThat(Double.doubleToRawLongBits(stale.getValue())).isEqualTo(StaleMarker.BITS);
    assertThat(new SchemaRegistryClient(registry).subjects())
        .as("TopicRecordNameStrategy: the batch has its own subject beside <topic>-value")
        .contains(topic + "-dev.metricspipeline.schemas.avro.SampleBatch")
        .doesNotContain(topic + "-value");
  }

  /**
   * Group commit with an hour's interval: only reaching the last transaction's size ends the wait,
   * so these calls complete within the test's time only if that rule holds (a fixed wait would hold
   * each for the hour).
   */
  @Test
  void aTransactionWaitsForMoreOnlyWhileSmallerThanTheLastOne(KafkaCluster kafka) throws Exception {
    String topic = kafka.uniqueTopic("samples");
    kafka.createTopic(topic, 1);
    PublisherConfig config =
        PublisherConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTopic(topic)
            .withCommitInterval(Duration.ofHours(1));
    try (MetricsPublisher publisher = MetricsPublisher.start(config)) {
      // Nothing committed yet: the first call does not wait.
      publisher.publish(gauges("a", 3)).get(30, TimeUnit.SECONDS);
      assertThat(publisher.transactionsCommitted()).isEqualTo(1);
      // One sample, fewer than the last transaction's three: it waits until two more join it.
      CompletableFuture<Void> one = publisher.publish(gauges("b", 1));
      CompletableFuture<Void> two = publisher.publish(gauges("c", 2));
      CompletableFuture.allOf(one, two).get(30, TimeUnit.SECONDS);
      assertThat(publisher.transactionsCommitted()).isEqualTo(2);
      // As many as the last: committed at once.
      publisher.publish(gauges("d", 3)).get(30, TimeUnit.SECONDS);
      assertThat(publisher.transactionsCommitted()).isEqualTo(3);
      assertThat(publisher.samplesPublished()).isEqualTo(9);
    }
  }

  private static List<MetricSample> gauges(String name, int count) {
    List<MetricSample> samples = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      samples.add(Samples.gauge(name, Map.of("i", Integer.toString(i)), i, 1_000L * (i + 1)));
    }
    return samples;
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

  private static List<ConsumerRecord<String, List<MetricSample>>> readAll(
      KafkaCluster kafka, String topic, int expected) {
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.setProperty(ConsumerConfig.GROUP_ID_CONFIG, topic + "-reader");
    p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    SchemaRegistryClient registry =
        new SchemaRegistryClient(RegistryClientConfig.of(kafka.schemaRegistryUrl()));
    List<ConsumerRecord<String, List<MetricSample>>> out = new ArrayList<>();
    int samples = 0;
    try (KafkaConsumer<String, List<MetricSample>> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new SamplesDeserializer(registry))) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (samples < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, List<MetricSample>> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r);
          samples += r.value().size();
        }
      }
    }
    assertThat(samples).as("samples read from %s", topic).isEqualTo(expected);
    return out;
  }
}
