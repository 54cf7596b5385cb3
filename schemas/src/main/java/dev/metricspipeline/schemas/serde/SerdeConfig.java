package dev.metricspipeline.schemas.serde;

/**
 * Configuration keys of our serializer and deserializer, named as in Confluent's so the same client
 * properties work with either. The registry connection keys are in {@link
 * dev.metricspipeline.schemas.registry.RegistryClientConfig}.
 */
public final class SerdeConfig {

  /** Register the record's schema on first use (default true); else it must be registered. */
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

  /** The generated class values are read into, e.g. {@code ...avro.MetricSample}. */
  public static final String SPECIFIC_VALUE_TYPE = "specific.avro.value.type";

  /** The generated class keys are read into. */
  public static final String SPECIFIC_KEY_TYPE = "specific.avro.key.type";

  private SerdeConfig() {}
}
