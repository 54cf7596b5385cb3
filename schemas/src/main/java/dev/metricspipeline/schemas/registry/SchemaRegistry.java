package dev.metricspipeline.schemas.registry;

import org.apache.avro.Schema;

/**
 * What the serializers need of a Schema Registry. {@link SchemaRegistryClient} is the real one; the
 * interface lets tests pin ids without a server.
 */
public interface SchemaRegistry {

  /** Registers (or finds) the schema under the subject and returns its global id. */
  int register(String subject, Schema schema);

  /** The id of a schema already registered under the subject. */
  int idOf(String subject, Schema schema);

  /** The schema with a global id. */
  Schema schemaById(int id);
}
