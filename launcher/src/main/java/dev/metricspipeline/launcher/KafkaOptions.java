package dev.metricspipeline.launcher;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Where Kafka and the Schema Registry are, for the commands that run against external ones. */
public final class KafkaOptions {

  /** The command this is mixed into, whose error stream a bad setting is reported on. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "127.0.0.1:9092",
      paramLabel = "HOST:PORT",
      description = "Kafka. Env: METRICS_PIPELINE_BOOTSTRAP_SERVERS. Default: ${DEFAULT-VALUE}")
  String bootstrapServers;

  @Option(
      names = "--schema-registry",
      defaultValue = "http://127.0.0.1:8081",
      paramLabel = "URL",
      description =
          "Schema Registry (Confluent API), comma-separated URLs. Env: METRICS_PIPELINE_SCHEMA_REGISTRY."
              + " Default: ${DEFAULT-VALUE}")
  String schemaRegistry;

  @Option(
      names = "--kafka",
      paramLabel = "KEY=VALUE",
      split = ",",
      description =
          "Extra Kafka client settings (SASL, TLS, ...), repeatable or comma-separated, e.g."
              + " security.protocol=SASL_SSL. Env: METRICS_PIPELINE_KAFKA.")
  Map<String, String> kafka = new LinkedHashMap<>();

  RegistryClientConfig registry() {
    return RegistryClientConfig.of(schemaRegistry);
  }

  /**
   * The one connection every Kafka client of the command uses.
   *
   * @throws ParameterException when the settings contradict the options (e.g. {@code --kafka
   *     bootstrap.servers=...})
   */
  KafkaConnection connection() {
    try {
      return new KafkaConnection(bootstrapServers, kafka == null ? Map.of() : kafka);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage(), e);
    }
  }
}
