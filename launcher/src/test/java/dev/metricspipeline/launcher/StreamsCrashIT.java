package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streams stage killed with SIGKILL mid-stream and restarted, twice: the rollups equal those
 * computed from the input, each window exactly once, and counter increases carry over the restarts.
 */
@ExtendWith(KafkaExtension.class)
class StreamsCrashIT {

  private static final int SERIES = 20;
  private static final int STEPS = 40; // one sample per series every 100 ms: 4 s of data

  private Process startStreams(
      KafkaCluster kafka,
      String appId,
      Path stateDir,
      String samples,
      String rejected,
      String resolution)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            StreamsProcessMain.class.getName(),
            kafka.bootstrapServers(),
            kafka.schemaRegistryUrl(),
            appId,
            stateDir.toString(),
            samples,
            rejected,
            resolution,
            "30000");
    builder.redirectErrorStream(true);
    builder.redirectOutput(
        stateDir.resolveSibling("streams-" + System.nanoTime() + ".log").toFile());
    return builder.start();
  }

  private static void kill(Process process) throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void killedTwiceTheRollupsEqualAnUndisturbedRun(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String samples = kafka.uniqueTopic("crash-samples");
    String rejected = kafka.uniqueTopic("crash-rejected");
    String resolution = "1s-" + samples.substring(samples.length() - 8);
    String rollupTopic = "metrics.rollups." + resolution;
    kafka.createTopic(samples, 3);
    kafka.createTopic(rejected, 1);
    kafka.createTopic(rollupTopic, 3);
    String appId = kafka.uniqueTopic("crash-app");
    Path stateDir = dir.resolve("state");

    // The 30 s grace keeps every window open across the kills and restarts.
    List<MetricSample> input = counters(SERIES);
    // Publish in three parts, killing the streams process (SIGKILL) after each of the first two.
    PublisherConfig publisherConfig =
        PublisherConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTopic(samples);
    int third = input.size() / 3;
    try (MetricsPublisher publisher = MetricsPublisher.start(publisherConfig)) {
      publisher.publish(input.subList(0, third)).get(30, TimeUnit.SECONDS);
      Process first = startStreams(kafka, appId, stateDir, samples, rejected, resolution);
      waitAlive(first, Duration.ofSeconds(6));
      kill(first);
      publisher.publish(input.subList(third, 2 * third)).get(30, TimeUnit.SECONDS);
      Process second = startStreams(kafka, appId, stateDir, samples, rejected, resolution);
      waitAlive(second, Duration.ofSeconds(6));
      kill(second);
      publisher.publish(input.subList(2 * third, input.size())).get(30, TimeUnit.SECONDS);
    }
    Process last = startStreams(kafka, appId, stateDir, samples, rejected, resolution);
    try {
      assertEveryWindowOnceAndExact(kafka, rollupTopic, input);
    } finally {
      kill(last);
    }
  }

  /**
   * Scale-out on the engine we have: three instances of one application share the six input
   * partitions (each gets some, together all), and every window is still emitted once, exact.
   */
  @Test
  void threeInstancesShareThePartitionsAndTheRollupsStayExact(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String samples = kafka.uniqueTopic("scale-samples");
    String rejected = kafka.uniqueTopic("scale-rejected");
    String resolution = "1s-" + samples.substring(samples.length() - 8);
    String rollupTopic = "metrics.rollups." + resolution;
    kafka.createTopic(samples, 6);
    kafka.createTopic(rejected, 1);
    kafka.createTopic(rollupTopic, 6);
    String appId = kafka.uniqueTopic("scale-app");
    List<Process> instances = new ArrayList<>();
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      for (int i = 0; i < 3; i++) {
        instances.add(
            startStreams(kafka, appId, dir.resolve("state-" + i), samples, rejected, resolution));
      }
      Map<String, Set<Integer>> assignment = new TreeMap<>();
      await("three members, each with input partitions")
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                assignment.clear();
                assignment.putAll(inputPartitionsByMember(admin, appId, samples));
                return assignment.size() == 3
                    && assignment.values().stream().noneMatch(Set::isEmpty);
              });
      Set<Integer> all = new TreeSet<>();
      assignment.values().forEach(all::addAll);
      assertThat(all).as("the members' input partitions").containsExactly(0, 1, 2, 3, 4, 5);

      List<MetricSample> input = counters(60);
      PublisherConfig publisherConfig =
          PublisherConfig.defaults(
                  KafkaConnection.of(kafka.bootstrapServers()),
                  RegistryClientConfig.of(kafka.schemaRegistryUrl()))
              .withTopic(samples);
      try (MetricsPublisher publisher = MetricsPublisher.start(publisherConfig)) {
        publisher.publish(input).get(30, TimeUnit.SECONDS);
      }
      assertEveryWindowOnceAndExact(kafka, rollupTopic, input);
      for (Process instance : instances) {
        assertThat(instance.isAlive()).isTrue();
      }
    } finally {
      for (Process instance : instances) {
        kill(instance);
      }
    }
  }

  /** The input partitions of {@code topic} each member of the group holds, by member id. */
  private static Map<String, Set<Integer>> inputPartitionsByMember(
      Admin admin, String group, String topic) throws Exception {
    Map<String, Set<Integer>> out = new TreeMap<>();
    for (var member :
        admin
            .describeConsumerGroups(List.of(group))
            .describedGroups()
            .get(group)
            .get(30, TimeUnit.SECONDS)
            .members()) {
      Set<Integer> partitions = new TreeSet<>();
      member.assignment().topicPartitions().stream()
          .filter(tp -> tp.topic().equals(topic))
          .forEach(tp -> partitions.add(tp.partition()));
      out.put(member.consumerId(), partitions);
    }
    return out;
  }

  /**
   * Counters rising by 1 every 100 ms for {@link #STEPS} steps, from the next whole second: one
   * sample per series and step.
   */
  private static List<MetricSample> counters(int series) {
    long start = (System.currentTimeMillis() / 1000 + 1) * 1000;
    List<MetricSample> input = new ArrayList<>();
    for (int step = 0; step < STEPS; step++) {
      for (int s = 0; s < series; s++) {
        input.add(
            MetricSample.newBuilder()
                .setName("requests_total")
                .setLabels(new TreeMap<>(Map.of("job", "crash", "series", Integer.toString(s))))
                .setType(SampleType.COUNTER)
                .setValue(1000 * s + step)
                .setTimestamp(start + step * 100L)
                .setIngestTimestamp(start)
                .setOrigin(Origin.PUSH_CLIENT)
                .build());
      }
    }
    return input;
  }

  /**
   * Reads the rollup topic until every window of the input arrived (and a little longer) and checks
   * each was emitted once, with count, sum, min, max and increase equal to the input's.
   */
  private static void assertEveryWindowOnceAndExact(
      KafkaCluster kafka, String rollupTopic, List<MetricSample> input) {
    Map<String, double[]> expected = expected(input);
    Map<String, List<double[]>> actual =
        readRollups(kafka, rollupTopic, expected.size(), Duration.ofSeconds(120));
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    for (Map.Entry<String, double[]> e : expected.entrySet()) {
      List<double[]> got = actual.get(e.getKey());
      assertThat(got).as("%s emitted exactly once", e.getKey()).hasSize(1);
      assertThat(got.get(0))
          .as("%s: count, sum, min, max, increase", e.getKey())
          .containsExactly(e.getValue());
    }
  }

  /** Lets a process run for a while, failing if it dies on its own. */
  private static void waitAlive(Process process, Duration duration) throws InterruptedException {
    assertThat(process.waitFor(duration.toMillis(), TimeUnit.MILLISECONDS))
        .as("streams process exited by itself")
        .isFalse();
  }

  /** series@windowStart → {count, sum, min, max, increase}, computed from the input. */
  private static Map<String, double[]> expected(List<MetricSample> input) {
    Map<String, double[]> out = new TreeMap<>();
    Map<String, Double> previous = new TreeMap<>();
    for (MetricSample s : input) {
      String series = dev.metricspipeline.schemas.SeriesKey.standard().idOf(s);
      long window = s.getTimestamp() / 1000 * 1000;
      double[] r =
          out.computeIfAbsent(
              series + "@" + window,
              k -> new double[] {0, 0, Double.MAX_VALUE, -Double.MAX_VALUE, 0});
      r[0]++;
      r[1] += s.getValue();
      r[2] = Math.min(r[2], s.getValue());
      r[3] = Math.max(r[3], s.getValue());
      Double before = previous.put(series, s.getValue());
      if (before != null) {
        r[4] += s.getValue() - before;
      }
    }
    return out;
  }

  private static Map<String, List<double[]>> readRollups(
      KafkaCluster kafka, String topic, int expected, Duration timeout) {
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.setProperty(ConsumerConfig.GROUP_ID_CONFIG, topic + "-reader");
    p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    SchemaRegistryClient registry =
        new SchemaRegistryClient(RegistryClientConfig.of(kafka.schemaRegistryUrl()));
    Map<String, List<double[]>> out = new TreeMap<>();
    int records = 0;
    try (KafkaConsumer<String, Rollup> consumer =
        new KafkaConsumer<>(
            p, new StringDeserializer(), AvroDeserializer.specific(registry, Rollup.class))) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      // Read until every expected window arrived, then a little longer to catch duplicates.
      long quietUntil = Long.MAX_VALUE;
      while (System.nanoTime() < Math.min(deadline, quietUntil)) {
        for (ConsumerRecord<String, Rollup> record : consumer.poll(Duration.ofMillis(200))) {
          Rollup r = record.value();
          out.computeIfAbsent(r.getSeries() + "@" + r.getWindowStart(), k -> new ArrayList<>())
              .add(
                  new double[] {r.getCount(), r.getSum(), r.getMin(), r.getMax(), r.getIncrease()});
          records++;
        }
        if (out.size() >= expected && quietUntil == Long.MAX_VALUE) {
          quietUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        }
      }
    }
    assertThat(records).as("rollup records").isGreaterThanOrEqualTo(expected);
    return out;
  }
}
