package dev.metricspipeline.push.internal;

/** A push refused for what it is (never retried by clients): 400, 413 or 415 with a message. */
public final class PushRejected extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String reason;

  /**
   * @param reason a short label for the rejected-samples counter: parse, limit, grouping, ...
   */
  public PushRejected(int status, String reason, String message) {
    super(message);
    this.status = status;
    this.reason = reason;
  }

  public int status() {
    return status;
  }

  public String reason() {
    return reason;
  }

  /** The failure itself, out of the {@code CompletionException} a future wraps it in. */
  static Throwable unwrap(Throwable error) {
    return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }
}
