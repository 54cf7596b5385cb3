package dev.metricspipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink is halted (no shutdown hook, no close) inside a write transaction, then right after a
 * database commit and before its Kafka commit, and restarted each time; the store ends with every
 * rollup exactly once and its values unchanged, and it kept its own offsets, not the group's.
 */
@ExtendWith(KafkaExtension.class)
class RollupSinkCrashIT {

  private static final int PER_PARTITION = 1000;

  private Process startSink(
      KafkaCluster kafka, String topic, String jdbc, String point, int at, Path logs)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            SinkProcessMain.class.getName(),
            kafka.bootstrapServers(),
            kafka.schemaRegistryUrl(),
            topic,
            jdbc,
            "crash-sink",
            point,
            Integer.toString(at));
    builder.redirectErrorStream(true);
    builder.redirectOutput(
        logs.resolve("sink-" + point + "-" + System.nanoTime() + ".log").toFile());
    return builder.start();
  }

  @Test
  void haltedBeforeAndAfterItsDatabaseCommitTheStoreHoldsEachRollupOnce(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    String topic = kafka.uniqueTopic("sink-crash") + ".1m";
    kafka.createTopic(topic, 3);
    List<Rollup> produced = RollupSinkIT.produce(kafka, topic, 3 * PER_PARTITION);
    String jdbc = "jdbc:sqlite:" + dir.resolve("metrics.db");

    Process first = startSink(kafka, topic, jdbc, "before-db-commit", 4, dir);
    assertThat(first.waitFor(120, TimeUnit.SECONDS)).as("halts in its 4th write").isTrue();
    assertThat(first.exitValue()).isEqualTo(137);
    long afterFirst = rows(jdbc);
    assertThat(afterFirst)
        .as("three batches of 100 committed, the fourth left nothing")
        .isEqualTo(300);

    Process second = startSink(kafka, topic, jdbc, "after-db-commit", 5, dir);
    assertThat(second.waitFor(120, TimeUnit.SECONDS)).as("halts after its 5th commit").isTrue();
    assertThat(second.exitValue()).isEqualTo(137);
    assertThat(rows(jdbc)).isEqualTo(800);
    Map<TopicPartition, Long> stored;
    try (JdbcRollupStore store = JdbcRollupStore.open(jdbc)) {
      stored = store.nextOffsets(partitions(topic));
    }
    Map<TopicPartition, OffsetAndMetadata> group = groupOffsets(kafka, "crash-sink");
    long storedTotal = stored.values().stream().mapToLong(Long::longValue).sum();
    long groupTotal = group.values().stream().mapToLong(o -> o == null ? 0 : o.offset()).sum();
    assertThat(storedTotal).as("the store's offsets cover what it holds").isEqualTo(800);
    assertThat(groupTotal)
        .as("the group's offsets lag: the last batch's Kafka commit never happened")
        .isLessThan(storedTotal);

    Process third = startSink(kafka, topic, jdbc, "none", 0, dir);
    try {
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> rows(jdbc) == 3L * PER_PARTITION);
    } finally {
      third.destroyForcibly();
      assertThat(third.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    try (JdbcRollupStore store = JdbcRollupStore.open(jdbc)) {
      List<Long> ids = new ArrayList<>();
      for (StoredSeries s : store.series(null)) {
        ids.add(s.id());
      }
      Map<Long, List<StoredRollup>> byId = new HashMap<>();
      for (StoredRollup r : store.rollups(ids, "1m", 0, Long.MAX_VALUE)) {
        byId.computeIfAbsent(r.seriesId(), k -> new ArrayList<>()).add(r);
      }
      assertThat(byId.values().stream().mapToInt(List::size).sum()).isEqualTo(produced.size());
      for (Rollup p : produced) {
        List<StoredRollup> rows = byId.get(JdbcRollupStore.seriesId(p.getSeries()));
        assertThat(rows).as("rows of %s", p.getSeries()).hasSize(1);
        StoredRollup r = rows.get(0);
        assertThat(r.windowStart()).isEqualTo(p.getWindowStart());
        assertThat(r.count()).isEqualTo(p.getCount());
        assertThat(r.sum()).isEqualTo(p.getSum());
        assertThat(r.max()).isEqualTo(p.getMax());
        assertThat(r.increase()).isEqualTo(p.getIncrease());
      }
      long next = 0;
      for (long offset : store.nextOffsets(partitions(topic)).values()) {
        next += offset;
      }
      assertThat(next)
          .as("one transaction of 3000 records: each stored offset is right after its last record")
          .isEqualTo(3L * PER_PARTITION);
    }
  }

  private static List<TopicPartition> partitions(String topic) {
    return List.of(
        new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2));
  }

  private static long rows(String jdbc) throws Exception {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc);
        java.sql.Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM rollups")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> groupOffsets(
      KafkaCluster kafka, String group) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      return admin
          .listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata()
          .get(30, TimeUnit.SECONDS);
    }
  }
}
