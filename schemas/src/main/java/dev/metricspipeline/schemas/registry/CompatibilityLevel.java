package dev.metricspipeline.schemas.registry;

/** Confluent's subject compatibility levels. Our schemas evolve BACKWARD-compatibly at least. */
public enum CompatibilityLevel {
  NONE,
  BACKWARD,
  BACKWARD_TRANSITIVE,
  FORWARD,
  FORWARD_TRANSITIVE,
  FULL,
  FULL_TRANSITIVE
}
