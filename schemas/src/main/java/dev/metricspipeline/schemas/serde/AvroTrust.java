package dev.metricspipeline.schemas.serde;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Makes Avro 1.12 trust our generated classes when it reads them.
 *
 * <p>Trap: Avro refuses to instantiate specific-record classes whose package is not listed in the
 * system property {@value #PROPERTY}, and it reads that property once, when its validator class
 * loads. So the property is set here (appending, never replacing what the user set), and in case
 * the validator was already loaded, a predicate trusting our package is added to its global
 * instance.
 */
public final class AvroTrust {

  public static final String PROPERTY = "org.apache.avro.SERIALIZABLE_PACKAGES";
  public static final String GENERATED_PACKAGE = "dev.metricspipeline.schemas.avro";

  private static volatile boolean done;

  private AvroTrust() {}

  /** Idempotent; cheap after the first call. */
  public static void ensure() {
    if (done) {
      return;
    }
    synchronized (AvroTrust.class) {
      if (done) {
        return;
      }
      String current = System.getProperty(PROPERTY);
      if (current == null || current.isBlank()) {
        System.setProperty(PROPERTY, GENERATED_PACKAGE);
      } else if (!(("," + current + ",").contains("," + GENERATED_PACKAGE + ","))) {
        System.setProperty(PROPERTY, current + "," + GENERATED_PACKAGE);
      }
      ClassSecurityValidator.ClassSecurityPredicate global = ClassSecurityValidator.getGlobal();
      ClassSecurityValidator.setGlobal(
          ClassSecurityValidator.composite(
              global, c -> c.getName().startsWith(GENERATED_PACKAGE + ".")));
      done = true;
    }
  }
}
