package dev.metricspipeline.schemas.registry;

/**
 * An error answered by the Schema Registry, or the registry not answering at all.
 *
 * <p>Subclasses name the errors callers act on. {@link #errorCode()} is Confluent's code (40401,
 * 409, 42201, ...); {@link #httpStatus()} the HTTP status, or 0 when no answer came. The message is
 * the registry's own.
 */
public class SchemaRegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int httpStatus;
  private final int errorCode;

  public SchemaRegistryException(int httpStatus, int errorCode, String message, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  /** The HTTP status, or 0 when the registry could not be reached. */
  public int httpStatus() {
    return httpStatus;
  }

  /** Confluent's error code, e.g. 40403; the HTTP status when the body had none. */
  public int errorCode() {
    return errorCode;
  }

  /** True for errors a later retry may not see: 5xx and no answer at all. */
  public boolean isRetriable() {
    return httpStatus == 0 || httpStatus >= 500;
  }

  /** Maps an answer to the most specific exception type. */
  static SchemaRegistryException of(int httpStatus, int errorCode, String message) {
    return switch (errorCode) {
      case 40401 -> new SubjectNotFoundException(message);
      case 40402 -> new VersionNotFoundException(message);
      case 40403 -> new SchemaNotFoundException(message);
      case 409 -> new IncompatibleSchemaException(message);
      case 42201 -> new InvalidSchemaException(message);
      default ->
          httpStatus >= 500
              ? new RegistryUnavailableException(httpStatus, errorCode, message, null)
              : new SchemaRegistryException(httpStatus, errorCode, message, null);
    };
  }

  /** 40401: the subject has no versions. */
  public static final class SubjectNotFoundException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public SubjectNotFoundException(String message) {
      super(404, 40401, message, null);
    }
  }

  /** 40402: the subject exists, the version does not. */
  public static final class VersionNotFoundException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public VersionNotFoundException(String message) {
      super(404, 40402, message, null);
    }
  }

  /** 40403: no schema with that id, or the schema is not registered under the subject. */
  public static final class SchemaNotFoundException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public SchemaNotFoundException(String message) {
      super(404, 40403, message, null);
    }
  }

  /** 409: the schema breaks the subject's compatibility level. */
  public static final class IncompatibleSchemaException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public IncompatibleSchemaException(String message) {
      super(409, 409, message, null);
    }
  }

  /** 42201: the registry could not parse the schema. */
  public static final class InvalidSchemaException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public InvalidSchemaException(String message) {
      super(422, 42201, message, null);
    }
  }

  /** 5xx, or no registry answered: retry later. */
  public static final class RegistryUnavailableException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public RegistryUnavailableException(
        int httpStatus, int errorCode, String message, Throwable cause) {
      super(httpStatus, errorCode, message, cause);
    }
  }
}
