package dev.metricspipeline.formats;

/** A body refused for its size rather than its content: HTTP endpoints answer it with 413. */
public final class LimitExceededException extends ParseException {
  private static final long serialVersionUID = 1L;

  public LimitExceededException(String reason) {
    super(0, 0, reason);
  }
}
