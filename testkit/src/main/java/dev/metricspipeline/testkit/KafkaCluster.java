package dev.metricspipeline.testkit;

import dev.metricspipeline.embedded.EmbeddedKafka;
import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real Kafka and Schema Registry for tests, shared by every test of a JVM.
 *
 * <p>Where it comes from, in order: {@code KAFKA_BOOTSTRAP_SERVERS} and {@code SCHEMA_REGISTRY_URL}
 * if set (an existing cluster); else a Testcontainers {@code apache/kafka} broker if a Docker
 * engine answers, with our embedded registry on it; else the in-process {@link EmbeddedKafka} and
 * {@link EmbeddedSchemaRegistry}. Never a mock.
 *
 * <p>Tests share it, so each test makes its own topics ({@link #uniqueTopic(String)}) and its own
 * consumer groups and application ids.
 */
public final class KafkaCluster implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);
  private static final String KAFKA_IMAGE = "apache/kafka:4.1.0";

  private final String bootstrapServers;
  private final String schemaRegistryUrl;
  private final String source;
  private final List<AutoCloseable> resources;

  private KafkaCluster(
      String bootstrapServers,
      String schemaRegistryUrl,
      String source,
      List<AutoCloseable> resources) {
    this.bootstrapServers = bootstrapServers;
    this.schemaRegistryUrl = schemaRegistryUrl;
    this.source = source;
    this.resources = resources;
  }

  /** Finds or starts a cluster as described in the class comment. */
  public static KafkaCluster start() {
    String bootstrap = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    String registry = System.getenv("SCHEMA_REGISTRY_URL");
    if (bootstrap != null && !bootstrap.isBlank()) {
      List<AutoCloseable> resources = new ArrayList<>();
      if (registry == null || registry.isBlank()) {
        EmbeddedSchemaRegistry started = EmbeddedSchemaRegistry.start(bootstrap, "127.0.0.1", 0);
        resources.add(started);
        registry = started.url();
      }
      LOG.info(
          "Tests use the Kafka at {} and the registry at {} (environment)", bootstrap, registry);
      return new KafkaCluster(bootstrap, registry, "environment", resources);
    }
    if (dockerAvailable()) {
      return startContainer();
    }
    return startEmbedded();
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static KafkaCluster startContainer() {
    KafkaContainer kafka =
        new KafkaContainer(KAFKA_IMAGE)
            .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
    kafka.start();
    EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(kafka.getBootstrapServers(), "127.0.0.1", 0);
    LOG.info("Tests use a Testcontainers Kafka at {}", kafka.getBootstrapServers());
    return new KafkaCluster(
        kafka.getBootstrapServers(),
        registry.url(),
        "testcontainers",
        List.of(registry, kafka::stop));
  }

  private static KafkaCluster startEmbedded() {
    try {
      Path dir = Files.createTempDirectory("metrics-pipeline-test-kafka");
      EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0, Map.of());
      EmbeddedSchemaRegistry registry =
          EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), "127.0.0.1", 0);
      LOG.info("Tests use the embedded Kafka at {}", kafka.bootstrapServers());
      return new KafkaCluster(
          kafka.bootstrapServers(), registry.url(), "embedded", List.of(registry, kafka));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public String schemaRegistryUrl() {
    return schemaRegistryUrl;
  }

  /** "environment", "testcontainers" or "embedded". */
  public String source() {
    return source;
  }

  /** A topic name no other test uses. The topic is not created. */
  public String uniqueTopic(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Creates a topic with the given number of partitions (replication factor 1). */
  public void createTopic(String name, int partitions) {
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      admin
          .createTopics(Set.of(new NewTopic(name, Optional.of(partitions), Optional.of((short) 1))))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted creating topic " + name, e);
    }
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("closing the test cluster failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
