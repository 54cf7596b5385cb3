package dev.metricspipeline.schemas;

/**
 * A publish that did not become durable: none of its samples are visible to {@code read_committed}
 * consumers.
 *
 * <p>{@link #isRetriable()} says whether the same request may succeed later (Kafka or the registry
 * unavailable, the publisher overloaded or closing): HTTP endpoints answer those with 503 and
 * {@code Retry-After}. Others (a sample the registry's schema refuses) are not worth retrying.
 */
public final class PublishException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean retriable;

  public PublishException(String message, boolean retriable, Throwable cause) {
    super(message, cause);
    this.retriable = retriable;
  }

  public boolean isRetriable() {
    return retriable;
  }
}
