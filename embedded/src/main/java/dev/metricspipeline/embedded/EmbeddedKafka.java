package dev.metricspipeline.embedded;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running in this JVM.
 *
 * <p>It is the same broker code as a production Kafka, configured for one node: every internal
 * topic has replication factor 1 and {@code min.insync.replicas=1}, so idempotent producers,
 * transactions and Kafka Streams {@code exactly_once_v2} work. The log directory is formatted on
 * first start only; starting again on the same directory keeps every topic and offset.
 *
 * <p>Not for production: one node means no redundancy, and a machine crash can lose what the OS had
 * not yet flushed (Kafka relies on replication, not fsync, for durability).
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final String saslBootstrapServers;
  private final Path dataDir;

  private EmbeddedKafka(
      KafkaRaftServer server, String bootstrapServers, String saslBootstrapServers, Path dataDir) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.saslBootstrapServers = saslBootstrapServers;
    this.dataDir = dataDir;
  }

  /**
   * Formats {@code dataDir} if needed, starts the broker and waits until it answers a client.
   *
   * @param dataDir where the log and metadata live; created if missing, kept across starts
   * @param port the client port on 127.0.0.1, or 0 for a free one
   * @param overrides broker settings that replace the defaults (e.g. {@code log.retention.hours})
   */
  public static EmbeddedKafka start(Path dataDir, int port, Map<String, String> overrides) {
    return start(dataDir, port, overrides, Map.of());
  }

  /**
   * As {@link #start(Path, int, Map)}, with a second client listener on a free port that takes only
   * SASL/PLAIN ({@code SASL_PLAINTEXT}) logins of the given users, for testing clients' SASL
   * settings; see {@link #saslBootstrapServers()}. The plaintext listener stays, for the broker's
   * own use and for clients that are not under test.
   *
   * @param saslUsers user name to password
   */
  public static EmbeddedKafka start(
      Path dataDir, int port, Map<String, String> overrides, Map<String, String> saslUsers) {
    long started = System.nanoTime();
    try {
      Files.createDirectories(dataDir);
      // Probed together, so no two of them can come out equal (a port probed and released can
      // be handed out again at once; two listeners on one port fail the broker's validation).
      int[] free = freePorts(3, port);
      int clientPort = port == 0 ? free[0] : port;
      int controllerPort = free[1];
      Path logDir = dataDir.resolve("kafka-logs").toAbsolutePath();
      Properties props = brokerProperties(logDir, clientPort, controllerPort);
      String sasl = null;
      if (!saslUsers.isEmpty()) {
        int saslPort = free[2];
        sasl = "127.0.0.1:" + saslPort;
        props.setProperty(
            "listeners", props.getProperty("listeners") + ",SASL://127.0.0.1:" + saslPort);
        props.setProperty(
            "advertised.listeners",
            props.getProperty("advertised.listeners") + ",SASL://127.0.0.1:" + saslPort);
        props.setProperty(
            "listener.security.protocol.map",
            props.getProperty("listener.security.protocol.map") + ",SASL:SASL_PLAINTEXT");
        props.setProperty("listener.name.sasl.sasl.enabled.mechanisms", "PLAIN");
        StringBuilder jaas =
            new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        saslUsers.forEach(
            (user, password) ->
                jaas.append(" user_").append(user).append("=\"").append(password).append('"'));
        props.setProperty("listener.name.sasl.plain.sasl.jaas.config", jaas.append(';').toString());
      }
      overrides.forEach(props::setProperty);
      formatIfNeeded(logDir);
      KafkaRaftServer server =
          new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      server.startup();
      String bootstrap = "127.0.0.1:" + clientPort;
      EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap, sasl, dataDir);
      kafka.awaitReady();
      LOG.info(
          "Embedded Kafka ready at {} (data in {}) after {} ms",
          bootstrap,
          logDir,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded Kafka in " + dataDir, e);
    }
  }

  static Properties brokerProperties(Path logDir, int clientPort, int controllerPort) {
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", Integer.toString(NODE_ID));
    p.setProperty("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.setProperty(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("log.dirs", logDir.toString());
    p.setProperty("num.partitions", "1");
    p.setProperty("default.replication.factor", "1");
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "5");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("transaction.state.log.num.partitions", "5");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("min.insync.replicas", "1");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    p.setProperty("auto.create.topics.enable", "false");
    // The log cleaner's offset map is allocated on the heap when the broker starts, 128 MiB by
    // default: an eighth of `run -Xmx1g` held for compacting the changelogs, the push groups and
    // the schemas. 16 MiB maps about 630,000 keys per cleaning pass, and a dirty
    // section with more keys is cleaned in more passes (docs/ARCHITECTURE.md).
    p.setProperty("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
    return p;
  }

  private static void formatIfNeeded(Path logDir) throws IOException {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      LOG.info("Embedded Kafka log directory {} is formatted; keeping its data", logDir);
      return;
    }
    Files.createDirectories(logDir);
    try (PrintStream quiet = new PrintStream(PrintStream.nullOutputStream(), false, "UTF-8")) {
      new Formatter()
          .setPrintStream(quiet)
          .setClusterId(Uuid.randomUuid().toString())
          .setNodeId(NODE_ID)
          .setDirectories(List.of(logDir.toString()))
          .setMetadataLogDirectory(logDir.toString())
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .run();
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("formatting " + logDir + " failed: " + e.getMessage(), e);
    }
  }

  private void awaitReady() {
    Properties admin = new Properties();
    admin.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin client = Admin.create(admin)) {
      client
          .describeCluster(new DescribeClusterOptions().timeoutMs((int) READY_TIMEOUT.toMillis()))
          .nodes()
          .get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      close();
      throw new IllegalStateException(
          "embedded Kafka at " + bootstrapServers + " did not answer within " + READY_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while waiting for embedded Kafka", e);
    }
  }

  /** {@code n} distinct free ports on 127.0.0.1, none equal to {@code taken}. */
  private static int[] freePorts(int n, int taken) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; ) {
        ServerSocket socket = new ServerSocket();
        held.add(socket);
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress("127.0.0.1", 0));
        if (socket.getLocalPort() != taken) {
          ports[i++] = socket.getLocalPort();
        }
      }
      return ports;
    } finally {
      for (ServerSocket socket : held) {
        socket.close();
      }
    }
  }

  /** {@code host:port} for Kafka clients. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * {@code host:port} of the SASL/PLAIN listener, for clients with {@code
   * security.protocol=SASL_PLAINTEXT}, {@code sasl.mechanism=PLAIN} and a {@code PlainLoginModule}
   * JAAS config; null when started without SASL users.
   */
  public String saslBootstrapServers() {
    return saslBootstrapServers;
  }

  /** The directory given at start. */
  public Path dataDir() {
    return dataDir;
  }

  /** Stops the broker and waits for it; the data directory is kept. */
  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    LOG.info("Embedded Kafka at {} stopped", bootstrapServers);
  }
}
