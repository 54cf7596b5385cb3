package dev.metricspipeline.promql;

/**
 * A query refused: a syntax error, a type error, or a construct this engine does not support, with
 * where it is. The message reads like Prometheus's: {@code parse error at char 9: unexpected "]"}.
 */
public final class PromQLException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int position;

  /**
   * @param position 0-based offset in the query, or -1 when the error is about the whole query
   */
  public PromQLException(int position, String reason) {
    super(position < 0 ? reason : "parse error at char " + (position + 1) + ": " + reason);
    this.position = position;
  }

  /** 0-based offset of the error in the query, or -1. */
  public int position() {
    return position;
  }
}
