package dev.metricspipeline.embedded.internal;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * Confluent's compatibility levels, checked with Avro's {@link SchemaCompatibility}.
 *
 * <p>BACKWARD: the new schema can read data written with the previous one (consumers upgrade
 * first). FORWARD: the previous schema can read data written with the new one (producers upgrade
 * first). FULL: both. The {@code _TRANSITIVE} variants check every earlier version, not only the
 * latest.
 */
public enum CompatibilityLevel {
  NONE,
  BACKWARD,
  BACKWARD_TRANSITIVE,
  FORWARD,
  FORWARD_TRANSITIVE,
  FULL,
  FULL_TRANSITIVE;

  /**
   * Checks {@code candidate} against the existing versions, oldest first.
   *
   * @return null if compatible, else a message naming the version and Avro's incompatibilities
   */
  public String check(Schema candidate, List<Schema> existingOldestFirst, List<Integer> versions) {
    if (this == NONE || existingOldestFirst.isEmpty()) {
      return null;
    }
    boolean transitive = name().endsWith("_TRANSITIVE");
    int from = transitive ? 0 : existingOldestFirst.size() - 1;
    for (int i = existingOldestFirst.size() - 1; i >= from; i--) {
      Schema previous = existingOldestFirst.get(i);
      String problem = null;
      if (this != FORWARD && this != FORWARD_TRANSITIVE) {
        problem = incompatibility(candidate, previous, "new schema cannot read data written");
      }
      if (problem == null && this != BACKWARD && this != BACKWARD_TRANSITIVE) {
        problem = incompatibility(previous, candidate, "existing schema cannot read data written");
      }
      if (problem != null) {
        return "Schema being registered is incompatible with an earlier schema for subject"
            + " (version "
            + versions.get(i)
            + ", compatibility "
            + name()
            + "): "
            + problem;
      }
    }
    return null;
  }

  private static String incompatibility(Schema reader, Schema writer, String what) {
    SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
      return null;
    }
    StringBuilder message = new StringBuilder(what).append(" with the other: ");
    result
        .getResult()
        .getIncompatibilities()
        .forEach(
            inc ->
                message
                    .append(inc.getType())
                    .append(" at ")
                    .append(inc.getLocation())
                    .append(" (")
                    .append(inc.getMessage())
                    .append("); "));
    return message.toString().trim();
  }
}
