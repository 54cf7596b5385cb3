package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.registry.SchemaRegistry;
import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;

/** A registry in a map, for unit tests that pin ids. Not thread-safe. */
final class InMemoryRegistry implements SchemaRegistry {
  private final Map<String, Integer> ids = new HashMap<>();
  private final Map<Integer, Schema> schemas = new HashMap<>();
  private int nextId;

  InMemoryRegistry(int firstId) {
    this.nextId = firstId;
  }

  @Override
  public int register(String subject, Schema schema) {
    return ids.computeIfAbsent(
        subject + "|" + schema,
        k -> {
          schemas.put(nextId, schema);
          return nextId++;
        });
  }

  @Override
  public int idOf(String subject, Schema schema) {
    Integer id = ids.get(subject + "|" + schema);
    if (id == null) {
      throw new SchemaRegistryException.SchemaNotFoundException("Schema not found");
    }
    return id;
  }

  @Override
  public Schema schemaById(int id) {
    Schema schema = schemas.get(id);
    if (schema == null) {
      throw new SchemaRegistryException.SchemaNotFoundException("Schema " + id + " not found.");
    }
    return schema;
  }
}
