package dev.metricspipeline.embedded.internal;

/**
 * An error answered in Confluent's shape: an HTTP status and a body {@code {"error_code": N,
 * "message": "..."}}.
 */
public final class RegistryError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int httpStatus;
  private final int errorCode;

  public RegistryError(int httpStatus, int errorCode, String message) {
    super(message);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int errorCode() {
    return errorCode;
  }

  static RegistryError subjectNotFound(String subject) {
    return new RegistryError(404, 40401, "Subject '" + subject + "' not found.");
  }

  static RegistryError versionNotFound(String subject, String version) {
    return new RegistryError(
        404, 40402, "Version " + version + " not found for subject '" + subject + "'.");
  }

  static RegistryError schemaNotFound(String what) {
    return new RegistryError(404, 40403, "Schema " + what + " not found.");
  }

  static RegistryError invalidSchema(String why) {
    return new RegistryError(422, 42201, "Invalid schema: " + why);
  }

  static RegistryError invalidVersion(String version) {
    return new RegistryError(
        422, 42202, "The specified version '" + version + "' is not a valid version id.");
  }

  static RegistryError invalidCompatibility(String level) {
    return new RegistryError(
        422,
        42203,
        "Invalid compatibility level '"
            + level
            + "'. Valid values are: "
            + java.util.Arrays.toString(CompatibilityLevel.values()));
  }

  static RegistryError incompatible(String message) {
    return new RegistryError(409, 409, message);
  }
}
