package dev.metricspipeline.launcher;

import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where Kafka and the Schema Registry are, for the commands that run against external ones. */
public final class KafkaOptions {

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

  Map<String, String> kafka() {
    return kafka == null ? Map.of() : Map.copyOf(kafka);
  }
}
