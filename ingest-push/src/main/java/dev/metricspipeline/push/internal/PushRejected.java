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
}
