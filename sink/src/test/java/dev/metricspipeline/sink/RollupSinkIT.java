package dev.metricspipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The sink on a real broker: two instances in one group, a store, the query API. */
@ExtendWith(KafkaExtension.class)
class RollupSinkIT {

  /** An hour ago, on a minute: recent enough that the sink's retention (7 days for 1m) keeps it. */
  static final long T0 = (System.currentTimeMillis() - 3_600_000L) / 60_000 * 60_000;

  /** HTTP/1.1 with a timeout, so a stuck answer fails the test instead of hanging it. */
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** Writes {@code n} rollups (distinct series, one window, counters) in one transaction. */
  static List<Rollup> produce(KafkaCluster kafka, String topic, int n) {
    return produce(kafka, topic, 0, n);
  }

  /** Rollups of series {@code i="from"} to {@code i="from + n - 1"}, in one transaction. */
  static List<Rollup> produce(KafkaCluster kafka, String topic, int from, int n) {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            "sink-it-" + UUID.randomUUID());
    SchemaRegistryClient registry =
        new SchemaRegistryClient(RegistryClientConfig.of(kafka.schemaRegistryUrl()));
    List<Rollup> out = new ArrayList<>();
    try (KafkaProducer<String, Rollup> producer =
        new KafkaProducer<>(config, new StringSerializer(), new AvroSerializer<>(registry, true))) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = from; i < from + n; i++) {
        Map<String, String> labels = new TreeMap<>(Map.of("job", "it", "i", Integer.toString(i)));
        Rollup r =
            Rollup.newBuilder()
                .setSeries(SeriesKey.standard().idOf("sink_it_total", labels))
                .setName("sink_it_total")
                .setLabels(labels)
                .setType(SampleType.COUNTER)
                .setResolution("1m")
                .setWindowStart(T0)
                .setWindowEnd(T0 + 60_000)
                .setCount(4)
                .setSum(i * 4.0)
                .setMin(i)
                .setMax(i + 3)
                .setFirst(i)
                .setLast(i + 3)
                .setFirstTimestamp(T0)
                .setLastTimestamp(T0 + 45_000)
                .setIncrease(3.0)
                .setResets(0L)
                .build();
        out.add(r);
        producer.send(new ProducerRecord<>(topic, r.getSeries(), r));
      }
      producer.commitTransaction();
    }
    return out;
  }

  @Test
  void twoInstancesShareThePartitionsAndTheQueryApiAnswers(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String topic = kafka.uniqueTopic("sink") + ".1m";
    kafka.createTopic(topic, 4);
    String jdbc = "jdbc:sqlite:" + dir.resolve("metrics.db");
    SinkConfig base =
        SinkConfig.defaults(
            KafkaConnection.of(kafka.bootstrapServers()),
            RegistryClientConfig.of(kafka.schemaRegistryUrl()));
    SinkConfig config =
        base.withGroup("sink-it-" + UUID.randomUUID())
            .withTopics(List.of(topic))
            .withListen("127.0.0.1", 0)
            .withMaxPollRecords(200);
    PrometheusMeterRegistry metersA = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PrometheusMeterRegistry metersB = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (RollupSink a = RollupSink.start(config, JdbcRollupStore.open(jdbc), metersA);
        RollupSink b = RollupSink.start(config, JdbcRollupStore.open(jdbc), metersB)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  a.ready()
                      && b.ready()
                      && !a.assignment().isEmpty()
                      && !b.assignment().isEmpty()
                      && a.assignment().size() + b.assignment().size() == 4);
      List<Rollup> produced = produce(kafka, topic, 2000);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  metersA.get("sink.rows.written").counter().count()
                          + metersB.get("sink.rows.written").counter().count()
                      >= produced.size());
      double byA = metersA.get("sink.rows.written").counter().count();
      double byB = metersB.get("sink.rows.written").counter().count();
      assertThat(byA + byB).isEqualTo(produced.size());
      assertThat(byA).as("both instances got partitions").isPositive();
      assertThat(byB).isPositive();

      String query =
          URLEncoder.encode(
              "max_over_time(sink_it_total{i=~\"1[0-9]\"}[1m])", StandardCharsets.UTF_8);
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(
                      URI.create(
                          a.queryUrl()
                              + "/api/v1/query_range?query="
                              + query
                              + "&start="
                              + (T0 / 1000)
                              + "&end="
                              + (T0 / 1000 + 120)
                              + "&step=60"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      JsonNode result = new ObjectMapper().readTree(response.body()).at("/data/result");
      assertThat(result).hasSize(10);
      assertThat(result.get(0).get("metric").toString()).isEqualTo("{\"i\":\"10\",\"job\":\"it\"}");
      assertThat(result.get(0).get("values").toString())
          .isEqualTo("[[" + (T0 / 1000 + 60) + ",\"13\"]]");

      HttpResponse<String> metrics =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(a.queryUrl() + "/metrics"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body())
          .contains("sink_rows_written_total")
          .contains("sink_batch_commit_seconds")
          .contains("kafka_consumer_fetch_manager_records_lag_max")
          .contains("sink_store_up 1.0");
    }
  }

  /** A real store that can be switched off: every call fails while {@code down} is set. */
  static final class FlakyStore implements RollupStore {
    final JdbcRollupStore delegate;
    volatile boolean down;

    FlakyStore(JdbcRollupStore delegate) {
      this.delegate = delegate;
    }

    private void check() throws StoreException {
      if (down) {
        throw new StoreException("store unreachable (switched off by the test)", null);
      }
    }

    @Override
    public void migrate() throws StoreException {
      check();
      delegate.migrate();
    }

    @Override
    public Map<org.apache.kafka.common.TopicPartition, Long> nextOffsets(
        java.util.Collection<org.apache.kafka.common.TopicPartition> partitions)
        throws StoreException {
      check();
      return delegate.nextOffsets(partitions);
    }

    @Override
    public WriteResult write(List<Consumed> batch) throws StoreException {
      check();
      return delegate.write(batch);
    }

    @Override
    public List<StoredSeries> series(String metricName) throws StoreException {
      check();
      return delegate.series(metricName);
    }

    @Override
    public List<MetricMetadata> metadata(String family) throws StoreException {
      check();
      return delegate.metadata(family);
    }

    @Override
    public List<StoredSeries> series(
        String metricName, Map<String, Long> resolutions, long from, long to)
        throws StoreException {
      check();
      return delegate.series(metricName, resolutions, from, to);
    }

    @Override
    public void scanRollups(
        java.util.Collection<Long> seriesIds,
        String resolution,
        long from,
        long to,
        java.util.Set<dev.metricspipeline.promql.Windows.Field> fields,
        RollupVisitor visitor)
        throws StoreException {
      check();
      delegate.scanRollups(seriesIds, resolution, from, to, fields, visitor);
    }

    @Override
    public int deleteBefore(String resolution, long before) throws StoreException {
      check();
      return delegate.deleteBefore(resolution, before);
    }

    @Override
    public boolean reachable() {
      return !down && delegate.reachable();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  @Test
  void whileTheStoreIsDownTheSinkIsNotReadyAndLosesNothing(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String topic = kafka.uniqueTopic("sink-outage") + ".1m";
    kafka.createTopic(topic, 2);
    FlakyStore store = new FlakyStore(JdbcRollupStore.open("jdbc:sqlite:" + dir.resolve("m.db")));
    SinkConfig config =
        SinkConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTopics(List.of(topic))
            .withGroup("sink-outage-" + UUID.randomUUID())
            .withListen("127.0.0.1", 0)
            .withMaxPollRecords(50);
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpClient http = HTTP;
    try (RollupSink sink = RollupSink.start(config, store, meters)) {
      await().atMost(Duration.ofSeconds(60)).until(sink::ready);
      store.down = true;
      List<Rollup> produced = produce(kafka, topic, 300);
      HttpRequest ready =
          HttpRequest.newBuilder(URI.create(sink.queryUrl() + "/-/ready"))
              .timeout(Duration.ofSeconds(30))
              .build();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> http.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 503);
      assertThat(meters.get("sink.store.up").gauge().value()).isZero();
      assertThat(meters.get("sink.rows.written").counter().count()).isZero();

      store.down = false;
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> meters.get("sink.rows.written").counter().count() >= produced.size());
      assertThat(http.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);
      List<Long> ids = store.series("sink_it_total").stream().map(StoredSeries::id).toList();
      assertThat(ids).hasSize(produced.size());
      assertThat(store.rollups(ids, "1m", T0, T0)).hasSize(produced.size());
      assertThat(meters.get("sink.rows.written").counter().count()).isEqualTo(produced.size());
    }
  }

  /** Runs {@code pg_ctlcluster <version> main <action>} on this machine's PostgreSQL. */
  private static void postgres(String action) throws Exception {
    String[] versions = new java.io.File("/etc/postgresql").list();
    assertThat(versions).as("a PostgreSQL cluster in /etc/postgresql").isNotEmpty();
    java.util.Arrays.sort(versions);
    Process p =
        new ProcessBuilder(
                "pg_ctlcluster",
                "--skip-systemctl-redirect",
                versions[versions.length - 1],
                "main",
                action)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("pg_ctlcluster %s: %s", action, out).isZero();
  }

  /**
   * The real PostgreSQL stopped for 60 s under the sink: it turns not ready, writes nothing, and
   * once the server is back stores every rollup exactly once. Needs root and {@code pg_ctlcluster}
   * (CI has both); skipped elsewhere.
   */
  @Test
  void whenPostgresqlStopsForAMinuteTheSinkWaitsAndStoresEveryRollupOnce(
      KafkaCluster kafka, @TempDir Path dir) throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    boolean canStop =
        new java.io.File("/etc/postgresql").isDirectory()
            && "root".equals(System.getProperty("user.name"));
    if (!ci) {
      org.junit.jupiter.api.Assumptions.assumeTrue(canStop, "needs root and a local PostgreSQL");
    }
    String schema = "outage_" + UUID.randomUUID().toString().replace("-", "");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(PostgresRollupStoreTest.URL);
        java.sql.Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + schema);
    }
    String url =
        PostgresRollupStoreTest.URL
            + (PostgresRollupStoreTest.URL.contains("?") ? "&" : "?")
            + "currentSchema="
            + schema;
    String topic = kafka.uniqueTopic("sink-pg-outage") + ".1m";
    kafka.createTopic(topic, 2);
    JdbcRollupStore store = JdbcRollupStore.open(url);
    SinkConfig config =
        SinkConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTopics(List.of(topic))
            .withGroup("sink-pg-outage-" + UUID.randomUUID())
            .withListen("127.0.0.1", 0)
            .withMaxPollRecords(50);
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    boolean stopped = false;
    try (RollupSink sink = RollupSink.start(config, store, meters)) {
      await().atMost(Duration.ofSeconds(60)).until(sink::ready);
      List<Rollup> before = produce(kafka, topic, 0, 200);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> meters.get("sink.rows.written").counter().count() >= before.size());

      postgres("stop");
      stopped = true;
      List<Rollup> during = produce(kafka, topic, 200, 300);
      HttpRequest ready =
          HttpRequest.newBuilder(URI.create(sink.queryUrl() + "/-/ready"))
              .timeout(Duration.ofSeconds(30))
              .build();
      await("the sink not ready while PostgreSQL is down")
          .atMost(Duration.ofSeconds(45))
          .until(() -> HTTP.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 503);
      await("PostgreSQL away for a minute")
          .during(Duration.ofSeconds(50))
          .atMost(Duration.ofSeconds(55))
          .until(() -> meters.get("sink.rows.written").counter().count() == before.size());
      postgres("start");
      stopped = false;

      int all = before.size() + during.size();
      await("every rollup stored after PostgreSQL came back")
          .atMost(Duration.ofSeconds(120))
          .until(() -> meters.get("sink.rows.written").counter().count() >= all);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> HTTP.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      List<Long> ids = store.series("sink_it_total").stream().map(StoredSeries::id).toList();
      assertThat(ids).hasSize(all);
      assertThat(store.rollups(ids, "1m", T0, T0)).hasSize(all);
      assertThat(meters.get("sink.rows.written").counter().count()).isEqualTo(all);
    } finally {
      if (stopped) {
        postgres("start");
      }
      try (java.sql.Connection c =
              java.sql.DriverManager.getConnection(PostgresRollupStoreTest.URL);
          java.sql.Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }

  /**
   * A Schema Registry that does not answer is an outage, not a poison record: the sink steps over
   * nothing, reports its faults (not ready once past the bound) and stores every rollup once the
   * registry is back. The registry here is a second one on the same {@code _schemas} topic, so it
   * knows the ids the producer registered and can be stopped and started on one port.
   */
  @Test
  void aRegistryThatDoesNotAnswerDelaysRollupsAndDropsNone(KafkaCluster kafka, @TempDir Path dir)
      throws Exception {
    String topic = kafka.uniqueTopic("sink-registry-outage") + ".1m";
    kafka.createTopic(topic, 2);
    List<Rollup> produced = produce(kafka, topic, 0, 100);
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    SinkConfig config =
        SinkConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of("http://127.0.0.1:" + port))
            .withTopics(List.of(topic))
            .withGroup("sink-registry-outage-" + UUID.randomUUID())
            .withListen("127.0.0.1", 0);
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    JdbcRollupStore store = JdbcRollupStore.open("jdbc:sqlite:" + dir.resolve("m.db"));
    try (RollupSink sink = RollupSink.start(config, store, meters)) {
      await("faults counted while the registry is away")
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> meters.get("stage.faults").tag("stage", "sink").functionCounter().count() >= 2);
      assertThat(meters.get("sink.records.dropped").counter().count()).isZero();
      assertThat(meters.get("sink.rows.written").counter().count()).isZero();
      try (dev.metricspipeline.embedded.EmbeddedSchemaRegistry registry =
          dev.metricspipeline.embedded.EmbeddedSchemaRegistry.start(
              kafka.bootstrapServers(), "127.0.0.1", port)) {
        await("every rollup stored once the registry answers")
            .atMost(Duration.ofSeconds(90))
            .until(() -> meters.get("sink.rows.written").counter().count() >= produced.size());
        assertThat(meters.get("sink.rows.written").counter().count()).isEqualTo(produced.size());
        assertThat(meters.get("sink.records.dropped").counter().count()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(sink::ready);
        assertThat(registry.port()).isEqualTo(port);
      }
    }
  }
}
