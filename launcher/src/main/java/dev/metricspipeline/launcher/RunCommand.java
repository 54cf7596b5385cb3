package dev.metricspipeline.launcher;

import dev.metricspipeline.embedded.EmbeddedKafka;
import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import dev.metricspipeline.launcher.internal.PipelineTopics;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code metrics-pipeline run}: the whole pipeline in one JVM. Today it starts the embedded Kafka
 * and Schema Registry, creates the topics and registers the schemas; the stages join it as they are
 * built. Data lives in {@code --data-dir}; running again resumes on it. Ctrl-C or SIGTERM stops
 * everything in reverse order.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the pipeline in this JVM on an embedded Kafka and Schema Registry, with its data in"
          + " --data-dir. Stops cleanly on Ctrl-C; running it again resumes on the same data."
    })
public final class RunCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Spec CommandSpec spec;

  @Option(
      names = "--data-dir",
      defaultValue = "./data",
      paramLabel = "DIR",
      description =
          "Where Kafka's log and the store live. Env: METRICS_PIPELINE_DATA_DIR. Default: ${DEFAULT-VALUE}")
  Path dataDir;

  @Option(
      names = "--kafka-port",
      defaultValue = "9092",
      paramLabel = "PORT",
      description =
          "Embedded Kafka's port on 127.0.0.1 (0: any free one). Env: METRICS_PIPELINE_KAFKA_PORT. Default: ${DEFAULT-VALUE}")
  int kafkaPort;

  @Option(
      names = "--schema-registry-port",
      defaultValue = "8081",
      paramLabel = "PORT",
      description =
          "Embedded Schema Registry's port on 127.0.0.1 (0: any free one). Env: METRICS_PIPELINE_SCHEMA_REGISTRY_PORT. Default: ${DEFAULT-VALUE}")
  int registryPort;

  @Option(
      names = "--partitions",
      defaultValue = "6",
      paramLabel = "N",
      description =
          "Partitions of each topic created on first start (existing topics are kept). Env: METRICS_PIPELINE_PARTITIONS. Default: ${DEFAULT-VALUE}")
  int partitions;

  @Override
  public Integer call() throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stop.countDown();
              try {
                stopped.await(60, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "metrics-pipeline-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try (Running running = start()) {
      running.printWelcome(spec.commandLine().getOut());
      stop.await();
      LOG.info("Stopping");
    } finally {
      stopped.countDown();
    }
    return 0;
  }

  /** Starts everything and returns it running; close it to stop. */
  public Running start() {
    List<AutoCloseable> started = new ArrayList<>();
    try {
      EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), kafkaPort, Map.of());
      started.add(kafka);
      PipelineTopics.createMissing(
          kafka.bootstrapServers(), PipelineTopics.all(partitions, (short) 1));
      EmbeddedSchemaRegistry registry =
          EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), "127.0.0.1", registryPort);
      started.add(registry);
      registerSchemas(registry.url());
      return new Running(kafka.bootstrapServers(), registry.url(), dataDir, started);
    } catch (RuntimeException e) {
      new Running(null, null, dataDir, started).close();
      throw e;
    }
  }

  /** Registers our schemas up front so downstream consumers can see them before any data. */
  private static void registerSchemas(String registryUrl) {
    SchemaRegistryClient client = new SchemaRegistryClient(RegistryClientConfig.of(registryUrl));
    client.register(Topics.valueSubject(Topics.SAMPLES), MetricSample.getClassSchema());
    for (String resolution : Topics.DEFAULT_RESOLUTIONS) {
      client.register(Topics.valueSubject(Topics.rollups(resolution)), Rollup.getClassSchema());
    }
    client.register(Topics.valueSubject(Topics.REJECTED), Rejected.getClassSchema());
  }

  /** The running pipeline: where it listens, and how to stop it. */
  public static final class Running implements AutoCloseable {
    private final String bootstrapServers;
    private final String registryUrl;
    private final Path dataDir;
    private final List<AutoCloseable> components;

    Running(
        String bootstrapServers, String registryUrl, Path dataDir, List<AutoCloseable> components) {
      this.bootstrapServers = bootstrapServers;
      this.registryUrl = registryUrl;
      this.dataDir = dataDir;
      this.components = components;
    }

    public String bootstrapServers() {
      return bootstrapServers;
    }

    public String schemaRegistryUrl() {
      return registryUrl;
    }

    void printWelcome(PrintWriter out) {
      out.println();
      out.println(
          "metrics-pipeline is running (data in " + dataDir.toAbsolutePath().normalize() + ")");
      out.println("  Kafka            " + bootstrapServers);
      out.println("  Schema Registry  " + registryUrl);
      out.println();
      out.println("Try:");
      out.println("  ./metrics-pipeline tail _schemas --from-beginning --idle-timeout 2");
      out.println("  ./metrics-pipeline tail " + Topics.SAMPLES + " --from-beginning");
      out.println("Stop with Ctrl-C.");
      out.flush();
    }

    /** Stops the components in reverse start order. */
    @Override
    public void close() {
      for (int i = components.size() - 1; i >= 0; i--) {
        try {
          components.get(i).close();
        } catch (Exception e) {
          LOG.warn(
              "Stopping {} failed: {}", components.get(i).getClass().getSimpleName(), e.toString());
        }
      }
      components.clear();
    }
  }
}
