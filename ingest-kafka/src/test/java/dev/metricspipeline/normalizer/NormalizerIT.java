package dev.metricspipeline.normalizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.formats.InfluxLineParser;
import dev.metricspipeline.formats.KafkaAdapterJsonParser;
import dev.metricspipeline.formats.MetricsParser;
import dev.metricspipeline.formats.ParsedSample;
import dev.metricspipeline.formats.RemoteWriteParser;
import dev.metricspipeline.formats.TextFormatParser;
import dev.metricspipeline.formats.proto.remote.Remote;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

/**
 * The normalizer on a real broker, fed messages as Telegraf (influx and prometheusremotewrite
 * serializers), prometheus-kafka-adapter and an app writing Prometheus text put them on Kafka: the
 * samples equal what the HTTP endpoints' parsers make of the same bytes; a poison message between
 * good ones is rejected with its coordinates; a restart reprocesses and loses nothing.
 */
@ExtendWith(KafkaExtension.class)
class NormalizerIT {

  private static final long T = 1_764_000_000_000L;

  // Telegraf outputs.kafka, data_format = "influx": nanosecond timestamps.
  private static final String INFLUX =
      "cpu,cpu=cpu0,host=h1 usage_idle=98.5,usage_user=1.25 "
          + T
          + "000000\n"
          + "mem,host=h1 used_percent=41.5 "
          + T
          + "000000\n";
  private static final String TEXT =
      "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 1027 " + T + "\n";
  // prometheus-kafka-adapter's JSON serializer, one sample per message.
  private static final String PKA =
      "{\"timestamp\":\"2025-11-24T16:00:00Z\",\"value\":\"12.5\",\"name\":\"job_duration_seconds\","
          + "\"labels\":{\"__name__\":\"job_duration_seconds\",\"job\":\"batch\"}}";

  /** Telegraf's prometheusremotewrite serializer: a snappy-compressed WriteRequest. */
  private static byte[] remoteWrite() throws Exception {
    Remote.WriteRequest request =
        Remote.WriteRequest.newBuilder()
            .addTimeseries(
                Remote.TimeSeries.newBuilder()
                    .addLabels(Remote.Label.newBuilder().setName("__name__").setValue("disk_free"))
                    .addLabels(Remote.Label.newBuilder().setName("host").setValue("h1"))
                    .addLabels(Remote.Label.newBuilder().setName("path").setValue("/"))
                    .addSamples(Remote.Sample.newBuilder().setValue(5.5e9).setTimestamp(T)))
            .build();
    return Snappy.compress(request.toByteArray());
  }

  private static List<String> key(List<MetricSample> samples) {
    List<String> out = new ArrayList<>();
    for (MetricSample s : samples) {
      out.add(
          s.getName() + new TreeMap<>(s.getLabels()) + "=" + s.getValue() + "@" + s.getTimestamp());
    }
    return out;
  }

  private static List<MetricSample> expected(
      MetricsParser parser, byte[] body, Map<String, String> extra) throws Exception {
    List<MetricSample> out = new ArrayList<>();
    for (ParsedSample p : parser.parse(body, 0).samples()) {
      TreeMap<String, String> labels = new TreeMap<>(p.labels());
      extra.forEach(labels::putIfAbsent);
      MetricSample s = p.toAvro(Origin.KAFKA_TOPIC, 0);
      s.setLabels(labels);
      out.add(s);
    }
    return out;
  }

  private static <T extends SpecificRecord> List<ConsumerRecord<String, T>> read(
      KafkaCluster kafka, String topic, Class<T> type, int atLeast) {
    SchemaRegistryClient registry =
        new SchemaRegistryClient(RegistryClientConfig.of(kafka.schemaRegistryUrl()));
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed");
    List<ConsumerRecord<String, T>> out = new ArrayList<>();
    try (KafkaConsumer<String, T> consumer =
        new KafkaConsumer<>(
            props, new StringDeserializer(), AvroDeserializer.specific(registry, type))) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic)) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long quietSince = System.nanoTime();
      while (System.nanoTime() < deadline) {
        int before = out.size();
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
        if (out.size() != before) {
          quietSince = System.nanoTime();
        }
        // Enough, and nothing more for two seconds (so extra records would be seen too).
        if (out.size() >= atLeast && System.nanoTime() - quietSince > 2_000_000_000L) {
          break;
        }
      }
    }
    return out;
  }

  @Test
  void everyFormatLikeOverHttpAPoisonMessageIsRejectedAndARestartRepeatsNothing(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    String influx = kafka.uniqueTopic("in-influx");
    String text = kafka.uniqueTopic("in-prometheus");
    String rw = kafka.uniqueTopic("in-remote-write");
    String pka = kafka.uniqueTopic("in-pka-json");
    String samples = kafka.uniqueTopic("samples");
    String rejected = kafka.uniqueTopic("rejected");
    for (String t : List.of(influx, text, rw, pka, samples, rejected)) {
      kafka.createTopic(t, t.equals(samples) ? 3 : 1);
    }
    List<KafkaSource> sources =
        KafkaSource.parse(
            "- {topic: "
                + influx
                + ", format: influx, labels: {origin: telegraf}}\n"
                + "- {topic: "
                + text
                + ", format: prometheus-text}\n"
                + "- {topic: "
                + rw
                + ", format: remote-write}\n"
                + "- {topic: "
                + pka
                + ", format: prometheus-kafka-adapter-json}\n",
            "sources.yaml");
    byte[] remote = remoteWrite();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(influx, INFLUX.getBytes(StandardCharsets.UTF_8)));
      producer.send(
          new ProducerRecord<>(influx, "cpu usage_idle=abc\n".getBytes(StandardCharsets.UTF_8)));
      producer.send(
          new ProducerRecord<>(
              influx, INFLUX.replace("98.5", "97").getBytes(StandardCharsets.UTF_8)));
      producer.send(new ProducerRecord<>(text, TEXT.getBytes(StandardCharsets.UTF_8)));
      producer.send(new ProducerRecord<>(rw, remote));
      producer.send(new ProducerRecord<>(pka, PKA.getBytes(StandardCharsets.UTF_8)));
      producer.flush();
    }
    Path state = dir.resolve("state");
    String appId = "normalizer-it-" + samples;
    try (Normalizer normalizer =
        Normalizer.start(
            sources,
            SampleTimestamps.defaults(),
            samples,
            rejected,
            KafkaConnection.of(kafka.bootstrapServers()),
            RegistryClientConfig.of(kafka.schemaRegistryUrl()),
            appId,
            state,
            new SimpleMeterRegistry())) {
      List<MetricSample> expected = new ArrayList<>();
      expected.addAll(
          expected(
              InfluxLineParser.withPrecision("ns"),
              INFLUX.getBytes(StandardCharsets.UTF_8),
              Map.of("origin", "telegraf")));
      expected.addAll(
          expected(
              InfluxLineParser.withPrecision("ns"),
              INFLUX.replace("98.5", "97").getBytes(StandardCharsets.UTF_8),
              Map.of("origin", "telegraf")));
      expected.addAll(
          expected(TextFormatParser.prometheus(), TEXT.getBytes(StandardCharsets.UTF_8), Map.of()));
      expected.addAll(expected(new RemoteWriteParser(1 << 20), remote, Map.of()));
      expected.addAll(
          expected(
              KafkaAdapterJsonParser.instance(), PKA.getBytes(StandardCharsets.UTF_8), Map.of()));
      assertThat(expected).as("3 + 3 influx, 1 text, 1 remote_write, 1 JSON").hasSize(9);

      List<ConsumerRecord<String, MetricSample>> out = read(kafka, samples, MetricSample.class, 9);
      List<MetricSample> got = out.stream().map(ConsumerRecord::value).toList();
      assertThat(key(got)).containsExactlyInAnyOrderElementsOf(key(expected));
      assertThat(got).allSatisfy(s -> assertThat(s.getOrigin()).isEqualTo(Origin.KAFKA_TOPIC));
      assertThat(out)
          .allSatisfy(
              r ->
                  assertThat(r.key())
                      .as("re-keyed by series id")
                      .startsWith(r.value().getName() + "{"));

      List<ConsumerRecord<String, Rejected>> bad = read(kafka, rejected, Rejected.class, 1);
      assertThat(bad).hasSize(1);
      Rejected r = bad.get(0).value();
      assertThat(r.getSourceTopic()).isEqualTo(influx);
      assertThat(r.getSourcePartition()).isZero();
      assertThat(r.getSourceOffset()).isEqualTo(1L);
      assertThat(r.getDetail()).startsWith("influx: line 1").contains("abc");
      assertThat(normalizer.counts().get("rejected")).isEqualTo(1);
    }

    // A restart on the same application id: nothing read again, the next message only.
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      producer.send(
          new ProducerRecord<>(pka, PKA.replace("12.5", "13").getBytes(StandardCharsets.UTF_8)));
      producer.flush();
    }
    try (Normalizer again =
        Normalizer.start(
            sources,
            SampleTimestamps.defaults(),
            samples,
            rejected,
            KafkaConnection.of(kafka.bootstrapServers()),
            RegistryClientConfig.of(kafka.schemaRegistryUrl()),
            appId,
            state,
            new SimpleMeterRegistry())) {
      List<MetricSample> all =
          read(kafka, samples, MetricSample.class, 10).stream().map(ConsumerRecord::value).toList();
      assertThat(all).hasSize(10);
      assertThat(all).filteredOn(s -> s.getValue() == 13.0).hasSize(1);
      assertThat(read(kafka, rejected, Rejected.class, 1)).hasSize(1);
      assertThat(again.counts().get("messages")).isEqualTo(1);
    }
  }
}
