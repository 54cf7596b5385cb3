package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.embedded.EmbeddedKafka;
import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import dev.metricspipeline.launcher.internal.PipelineTopics;
import dev.metricspipeline.runtime.TopicAdmin;
import dev.metricspipeline.schemas.KafkaConnection;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults under load, with every stage a process of its own so that {@code kill -9} is real: the
 * push gateway, the streams stage and the sink (SQLite) run as {@code metrics-pipeline} commands on
 * one embedded Kafka and registry. A client pushes timestamped Influx batches and retries each
 * until it is acknowledged (2xx), as a real sender does, while the test SIGKILLs the gateway, the
 * streams stage and the sink in turn, three times each, restarting each at once. Afterwards the
 * store must count exactly the samples that were acknowledged: none lost (acknowledged means
 * durable), none twice (a retried batch that was in fact committed is an exact duplicate, which the
 * streams stage drops; the sink stores its offsets with its rows).
 */
class FaultInjectionIT {

  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private static final int SERIES = 200;
  private static final int BATCH = 2000;

  @TempDir Path dir;

  /** A stage in its own JVM, restartable on the same ports and state. */
  private final class Stage {
    private final String name;
    private final List<String> args;
    private Process process;
    private int starts;

    Stage(String name, List<String> args) {
      this.name = name;
      this.args = args;
    }

    void start() throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(Main.class.getName());
      command.addAll(args);
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.redirectErrorStream(true);
      builder.redirectOutput(dir.resolve(name + "-" + (++starts) + ".log").toFile());
      process = builder.start();
    }

    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s died", name).isTrue();
    }

    void stop() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static boolean answers(String url) {
    try {
      return HTTP.send(
                  HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static long stored(Path db) throws SQLException {
    if (!Files.exists(db)) {
      return 0;
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        ResultSet r =
            c.createStatement()
                .executeQuery(
                    "SELECT COALESCE(SUM(r.count), 0) FROM rollups r JOIN metric_series s"
                        + " ON s.id = r.series_id WHERE s.metric = 'fault_value'"
                        + " AND r.resolution = '1m'")) {
      return r.next() ? r.getLong(1) : 0;
    } catch (SQLException e) {
      if (String.valueOf(e.getMessage()).contains("no such table")) {
        return 0;
      }
      throw e;
    }
  }

  @Test
  void killNineOfGatewayStreamsAndSinkUnderLoadLosesAndDoublesNothing() throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0, Map.of());
    int kafkaPort = Integer.parseInt(kafka.bootstrapServers().replaceAll(".*:", ""));
    EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), "127.0.0.1", 0);
    int registryPort = registry.port();
    try {
      TopicAdmin.createMissing(
          KafkaConnection.of(kafka.bootstrapServers()), PipelineTopics.all(2, (short) 1));
      RunCommand.registerSchemas(registry.url());
      int pushPort = freePort();
      int queryPort = freePort();
      Path db = dir.resolve("metrics.db");
      List<String> connect =
          List.of(
              "--bootstrap-servers",
              kafka.bootstrapServers(),
              "--schema-registry",
              registry.url(),
              "--kafka",
              "session.timeout.ms=6000,heartbeat.interval.ms=1000");
      List<String> gatewayArgs = new ArrayList<>(List.of("push-gateway"));
      gatewayArgs.addAll(connect);
      gatewayArgs.addAll(
          List.of(
              "--listen-address", "127.0.0.1", "--port", "" + pushPort, "--instance-id", "fault"));
      List<String> streamsArgs = new ArrayList<>(List.of("streams"));
      streamsArgs.addAll(connect);
      streamsArgs.addAll(
          List.of(
              "--state-dir",
              dir.resolve("streams").toString(),
              "--rollup-grace",
              "PT20S",
              "--metrics-address",
              "127.0.0.1",
              "--metrics-port",
              "0"));
      List<String> sinkArgs = new ArrayList<>(List.of("sink"));
      sinkArgs.addAll(connect);
      sinkArgs.addAll(
          List.of(
              "--store",
              "jdbc:sqlite:" + db,
              "--resolutions",
              "1m",
              "--query-address",
              "127.0.0.1",
              "--query-port",
              "" + queryPort));
      Stage gateway = new Stage("gateway", gatewayArgs);
      Stage streams = new Stage("streams", streamsArgs);
      Stage sink = new Stage("sink", sinkArgs);
      List<Stage> stages = List.of(gateway, streams, sink);
      String push = "http://127.0.0.1:" + pushPort;
      try {
        for (Stage stage : stages) {
          stage.start();
        }
        Awaitility.await("the gateway's /-/ready")
            .atMost(Duration.ofSeconds(60))
            .until(() -> answers(push + "/-/ready"));

        AtomicBoolean loading = new AtomicBoolean(true);
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong retries = new AtomicLong();
        Thread load =
            new Thread(
                () -> {
                  long[] last = new long[SERIES];
                  int next = 0;
                  while (loading.get()) {
                    StringBuilder body = new StringBuilder(BATCH * 40);
                    long now = System.currentTimeMillis();
                    for (int i = 0; i < BATCH; i++) {
                      int s = next;
                      next = (next + 1) % SERIES;
                      long ts = Math.max(now, last[s] + 1);
                      last[s] = ts;
                      body.append("fault,series=").append(s).append(" value=1 ").append(ts);
                      body.append('\n');
                    }
                    // Retried until acknowledged, as a sender would: 503, refused connections
                    // and timeouts while a gateway is down are all retried.
                    while (true) {
                      try {
                        int status =
                            HTTP.send(
                                    HttpRequest.newBuilder(
                                            URI.create(push + "/api/v2/write?precision=ms"))
                                        .timeout(Duration.ofSeconds(10))
                                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                                        .build(),
                                    HttpResponse.BodyHandlers.discarding())
                                .statusCode();
                        if (status / 100 == 2) {
                          acknowledged.addAndGet(BATCH);
                          break;
                        }
                        assertThat(status)
                            .as("only overload may refuse a good batch")
                            .isEqualTo(503);
                      } catch (IOException e) {
                        // the gateway is down: retry
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                      }
                      retries.incrementAndGet();
                      try {
                        TimeUnit.MILLISECONDS.sleep(100); // a sender's retry backoff
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                      }
                    }
                  }
                },
                "load");
        load.start();
        int kills = 0;
        for (int round = 0; round < 3; round++) {
          for (Stage stage : stages) {
            long before = acknowledged.get();
            Awaitility.await("load between kills")
                .atMost(Duration.ofSeconds(60))
                .until(() -> acknowledged.get() >= before + 5 * BATCH);
            stage.kill();
            kills++;
            stage.start();
          }
        }
        // The broker away for 10 s: the gateway answers 503, the sender retries.
        kafka.close();
        long retriesBefore = retries.get();
        Awaitility.await("the broker away for 10 s")
            .during(Duration.ofSeconds(10))
            .atMost(Duration.ofSeconds(15))
            .until(loading::get);
        assertThat(retries.get())
            .as("refused while the broker is away")
            .isGreaterThan(retriesBefore);
        kafka = EmbeddedKafka.start(dir.resolve("kafka"), kafkaPort, Map.of());
        long afterBroker = acknowledged.get();
        Awaitility.await("load after the broker came back")
            .atMost(Duration.ofSeconds(120))
            .until(() -> acknowledged.get() >= afterBroker + 5 * BATCH);

        // The registry away for 30 s, and a gateway restarted meanwhile, which knows no schema
        // id yet: it answers 503 until the registry is back.
        registry.close();
        gateway.kill();
        kills++;
        gateway.start();
        Awaitility.await("the registry away for 30 s")
            .during(Duration.ofSeconds(30))
            .atMost(Duration.ofSeconds(35))
            .until(loading::get);
        registry =
            EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), "127.0.0.1", registryPort);
        long before = acknowledged.get();
        Awaitility.await("load after the registry came back")
            .atMost(Duration.ofSeconds(120))
            .until(() -> acknowledged.get() >= before + 5 * BATCH);
        loading.set(false);
        load.join(60_000);
        long acked = acknowledged.get();

        Awaitility.await("every acknowledged sample in the store")
            .atMost(Duration.ofSeconds(240))
            .pollInterval(Duration.ofSeconds(2))
            .until(() -> stored(db) >= acked);
        long reached = stored(db);
        // Windows still closing would raise the count further: it must stay put.
        Awaitility.await("the stored count to stay at " + reached)
            .during(Duration.ofSeconds(8))
            .atMost(Duration.ofSeconds(20))
            .until(() -> stored(db) == reached);
        long stored = stored(db);
        System.out.printf(
            "FaultInjectionIT: %d kills (gateway, streams, sink x3, gateway once more), broker away"
                + " 10 s, registry away 30 s; %d samples acknowledged, %d stored, %d lost, %d"
                + " doubled, %d retried requests%n",
            kills,
            acked,
            stored,
            Math.max(0, acked - stored),
            Math.max(0, stored - acked),
            retries.get());
        assertThat(stored).as("stored = acknowledged").isEqualTo(acked);
      } finally {
        for (Stage stage : stages) {
          stage.stop();
        }
      }
    } finally {
      registry.close();
      kafka.close();
    }
  }
}
