package dev.metricspipeline.bench;

import dev.metricspipeline.embedded.EmbeddedKafka;
import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import dev.metricspipeline.schemas.serde.SampleBatchEncoder;
import dev.metricspipeline.streams.StreamsApp;
import dev.metricspipeline.streams.StreamsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * End-to-end load of the streams stage on an embedded broker: writes {@code series × perSeries}
 * counter samples to {@code metrics.samples} first, then starts the stage (dedup + 1m/5m/1h
 * rollups, exactly_once_v2) and times how long it takes to read them all; then the size of its
 * state directory. Not a JMH benchmark: it measures the whole stage, Kafka included.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.metricspipeline.bench.StreamsLoad [series]
 * [samplesPerSeries] [partitions] [replay]} (defaults 1000000, 1, 6). Kafka Streams settings to try
 * go in as {@code -Dstreams.<setting>=<value>}, e.g. {@code -Dstreams.num.stream.threads=2}.
 *
 * <p>Without {@code replay} the samples are one second apart ({@code -Dload.step=<ms>} sets another
 * spacing, e.g. 166 for six samples a second per series, {@code EndToEndLoad}'s shape) from the
 * start of the current minute, and the grace is 30 minutes, so nothing is late. With {@code replay}
 * (an ISO-8601 duration, e.g. {@code PT1H}) the stage runs with its defaults (30 s grace, 2 h
 * allowed lateness) and the input is what a Prometheus sends after an outage of ours: first one
 * sample per series at the current time (stream time is now), then each series' {@code
 * samplesPerSeries} samples spread over the {@code replay} before it, oldest first, every one of
 * them late: they revise or first-emit closed windows. The state directory's size then holds the
 * emitted windows of that span.
 *
 * <p>The samples are written as the pipeline's publisher writes them: {@code SampleBatch} records
 * of up to {@link SampleBatchEncoder#MAX_SAMPLES} samples, each on its series' partition. {@code
 * -Dload.records=single} writes one record per sample keyed by series id instead (other producers'
 * shape), to compare the two. {@code -Dload.replicas=2} has each sample sent by two HA replicas (a
 * {@code __replica__} label, the second 7 ms after the first): with {@code -Dload.step=15000}, the
 * default dedup interval, the stage keeps the first of each pair and drops the other as {@code
 * replica}, as behind a pair of Prometheus servers. With {@code -Dload.resent=true} the copies are
 * the same sample, unlabelled, as a sender's retried batch: all but the first are {@code
 * duplicate}.
 */
public final class StreamsLoad {

  private StreamsLoad() {}

  public static void main(String[] args) throws Exception {
    int series = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int perSeries = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 6;
    Duration replay = args.length > 3 ? Duration.parse(args[3]) : null;
    Path dir = Files.createTempDirectory("streams-load");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0, Map.of());
        EmbeddedSchemaRegistry registry =
            EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), "127.0.0.1", 0)) {
      createTopics(kafka.bootstrapServers(), partitions);
      long total = ((long) series * perSeries + (replay == null ? 0 : series)) * replicas();
      long now = System.currentTimeMillis();
      long base = now / 60_000 * 60_000;
      long step = Long.getLong("load.step", 1000);
      if (replay != null) {
        step = replay.toMillis() / perSeries;
        base = now - replay.toMillis();
      }
      long produceStart = System.nanoTime();
      produce(
          kafka.bootstrapServers(),
          registry.url(),
          series,
          perSeries,
          base,
          step,
          replay == null ? null : now);
      double produceSeconds = (System.nanoTime() - produceStart) / 1e9;
      System.out.printf("produced %,d samples in %.1f s%n", total, produceSeconds);

      Path stateDir = dir.resolve("streams");
      // Without a replay, a long grace: the run must not make its own samples late while it
      // catches up. With one, the defaults: the replay is late on purpose.
      StreamsSettings settings =
          replay == null
              ? StreamsSettings.defaults().withGrace(Duration.ofMinutes(30))
              : StreamsSettings.defaults();
      try (StreamsApp app =
          StreamsApp.start(
              settings,
              new KafkaConnection(kafka.bootstrapServers(), streamsProperties()),
              RegistryClientConfig.of(registry.url()),
              "streams-load",
              stateDir)) {
        if (!app.awaitRunning(Duration.ofMinutes(2))) {
          throw new IllegalStateException("the streams stage did not start");
        }
        long start = System.nanoTime();
        long processCpu = processCpuNanos();
        long streamCpu = streamThreadCpuNanos();
        long lastReport = start;
        while (app.drops().get("samples_in") < total) {
          TimeUnit.MILLISECONDS.sleep(100);
          if (System.nanoTime() - lastReport > 10_000_000_000L) {
            lastReport = System.nanoTime();
            System.out.printf(
                "  %,d of %,d read after %.0f s%n",
                app.drops().get("samples_in"), total, (lastReport - start) / 1e9);
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double processSeconds = (processCpuNanos() - processCpu) / 1e9;
        double streamSeconds = (streamThreadCpuNanos() - streamCpu) / 1e9;
        System.out.printf(
            "streams read %,d samples (%,d series) in %.1f s: %,.0f samples/s; counts %s%n",
            total, series, seconds, total / seconds, app.drops().snapshot());
        System.out.printf(
            "CPU while reading: process %.1f s (%,.0f samples per CPU second, broker and RocksDB"
                + " included), stream threads %.1f s (%,.0f samples per CPU second)%n",
            processSeconds, total / processSeconds, streamSeconds, total / streamSeconds);
      }
      long bytes = size(stateDir);
      System.out.printf(
          "state directory after a clean stop: %,d bytes (%.1f MB), %.0f bytes per series%n",
          bytes, bytes / 1e6, (double) bytes / series);
      long live = 0;
      for (String store :
          List.of("series-state", "series-meta", "series-due", "closed-windows", "series-chunks")) {
        long[] entries =
            liveBytes(kafka.bootstrapServers(), "streams-load-" + store + "-changelog");
        live += entries[1];
        System.out.printf(
            "  %s: %,d live entries, %,d bytes (keys and values), %.0f bytes per series%n",
            store, entries[0], entries[1], (double) entries[1] / series);
      }
      System.out.printf(
          "live state (the changelogs compacted): %,d bytes, %.0f bytes per series%n",
          live, (double) live / series);
    } finally {
      deleteQuietly(dir);
    }
  }

  /** CPU time of the whole process: the broker, the stage, RocksDB's threads. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** CPU time of the live Kafka Streams threads (not their producers' network threads). */
  private static long streamThreadCpuNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().contains("-StreamThread-") && !t.getName().contains("producer")) {
        sum += Math.max(0, threads.getThreadCpuTime(t.getId()));
      }
    }
    return sum;
  }

  private static void createTopics(String bootstrap, int partitions) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<NewTopic> topics = new ArrayList<>();
      topics.add(new NewTopic(Topics.SAMPLES, partitions, (short) 1));
      topics.add(new NewTopic(Topics.REJECTED, partitions, (short) 1));
      for (String resolution : Topics.DEFAULT_RESOLUTIONS) {
        topics.add(new NewTopic(Topics.rollups(resolution), partitions, (short) 1));
      }
      admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static void produce(
      String bootstrap,
      String registryUrl,
      int series,
      int perSeries,
      long base,
      long step,
      Long primeAt) {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ProducerConfig.LINGER_MS_CONFIG,
            20,
            ProducerConfig.BATCH_SIZE_CONFIG,
            256 * 1024,
            ProducerConfig.COMPRESSION_TYPE_CONFIG,
            "lz4");
    SchemaRegistryClient client = new SchemaRegistryClient(RegistryClientConfig.of(registryUrl));
    if (replicas() > 1 && "single".equals(System.getProperty("load.records"))) {
      throw new IllegalArgumentException("-Dload.replicas needs the batched records");
    }
    if (!"single".equals(System.getProperty("load.records"))) {
      produceBatches(config, client, series, perSeries, base, step, primeAt);
      return;
    }
    SeriesKey key = SeriesKey.standard();
    try (KafkaProducer<String, MetricSample> producer =
        new KafkaProducer<>(config, new StringSerializer(), new AvroSerializer<>(client, true))) {
      if (primeAt != null) {
        for (int s = 0; s < series; s++) {
          MetricSample sample = sample(s, primeAt, s + perSeries);
          producer.send(new ProducerRecord<>(Topics.SAMPLES, key.idOf(sample), sample));
        }
      }
      for (int k = 0; k < perSeries; k++) {
        for (int s = 0; s < series; s++) {
          MetricSample sample = sample(s, base + k * step, s + k);
          producer.send(new ProducerRecord<>(Topics.SAMPLES, key.idOf(sample), sample));
        }
      }
      producer.flush();
    }
  }

  /**
   * {@code -Dload.replicas}: how many HA replicas send each sample (default 1, no replica label).
   */
  private static int replicas() {
    return Integer.getInteger("load.replicas", 1);
  }

  /** As {@link #produce}, in SampleBatch records per partition, as {@code MetricsPublisher}. */
  private static void produceBatches(
      Map<String, Object> config,
      SchemaRegistryClient client,
      int series,
      int perSeries,
      long base,
      long step,
      Long primeAt) {
    SeriesKey key = SeriesKey.standard();
    SampleBatchEncoder encoder = new SampleBatchEncoder(client);
    int schemaId = encoder.schemaId(Topics.SAMPLES);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      SampleBatchEncoder.PartitionedBatches batches =
          new SampleBatchEncoder.PartitionedBatches(
              schemaId,
              producer.partitionsFor(Topics.SAMPLES).size(),
              (partition, record) ->
                  producer.send(new ProducerRecord<>(Topics.SAMPLES, partition, null, record)));
      List<MetricSample> chunk = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      int replicas = replicas();
      boolean resent = Boolean.getBoolean("load.resent");
      for (int k = primeAt == null ? 0 : -1; k < perSeries; k++) {
        for (int s = 0; s < series; s++) {
          for (int r = 0; r < replicas; r++) {
            long offset = resent ? 0 : 7L * r;
            MetricSample sample =
                k < 0
                    ? sample(s, primeAt, s + perSeries)
                    : sample(s, base + k * step + offset, s + k);
            if (replicas > 1 && !resent) {
              sample.getLabels().put(SeriesKey.DEFAULT_REPLICA_LABEL, "r" + r);
            }
            chunk.add(sample);
            ids.add(key.idOf(sample));
            if (chunk.size() == 10_000) {
              batches.add(encoder.items(chunk, ids));
              chunk.clear();
              ids.clear();
            }
          }
        }
      }
      batches.add(encoder.items(chunk, ids));
      batches.flush();
      producer.flush();
    }
  }

  /**
   * Reads a changelog from the beginning and keeps the last record per key, as compaction would:
   * {live entries, their key and value bytes}. RocksDB's directory holds overwritten versions until
   * it compacts; this is what the state is.
   */
  private static long[] liveBytes(String bootstrap, String topic) {
    Map<String, Object> config =
        Map.of(
            org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            10_000);
    // Per partition: each task numbers its own series, so a key means something in its partition.
    Map<List<Object>, Integer> last = new java.util.HashMap<>();
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer =
        new org.apache.kafka.clients.consumer.KafkaConsumer<>(
            config,
            new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      List<org.apache.kafka.common.TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (var record : consumer.poll(Duration.ofSeconds(1))) {
          List<Object> key =
              List.of(record.partition(), org.apache.kafka.common.utils.Bytes.wrap(record.key()));
          if (record.value() == null) {
            last.remove(key);
          } else {
            last.put(key, record.key().length + record.value().length);
          }
        }
      }
    }
    return new long[] {last.size(), last.values().stream().mapToLong(Integer::longValue).sum()};
  }

  private static MetricSample sample(int s, long ts, double value) {
    TreeMap<String, String> labels = new TreeMap<>();
    labels.put("job", "load");
    labels.put("instance", "host-" + (s % 1000) + ":9100");
    labels.put("series", Integer.toString(s / 1000));
    return MetricSample.newBuilder()
        .setName("load_requests_total")
        .setLabels(labels)
        .setType(SampleType.COUNTER)
        .setValue(value)
        .setTimestamp(ts)
        .setIngestTimestamp(ts)
        .setOrigin(Origin.PUSH_CLIENT)
        .build();
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code -Dstreams.X=Y} system properties as Kafka Streams settings {@code X=Y}. */
  private static Map<String, String> streamsProperties() {
    Map<String, String> props = new java.util.TreeMap<>();
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("streams.")) {
        props.put(name.substring("streams.".length()), System.getProperty(name));
      }
    }
    if (!props.isEmpty()) {
      System.out.println("Kafka Streams settings: " + props);
    }
    return props;
  }
}
