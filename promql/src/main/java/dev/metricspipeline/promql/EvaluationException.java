package dev.metricspipeline.promql;

/**
 * A query that parsed but cannot be answered for the data it met: duplicate series in a match
 * group, a result with two series of the same labels, a bad regex in {@code label_replace}.
 * Prometheus's HTTP API answers these with status 422 and {@code errorType "execution"}.
 */
public final class EvaluationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EvaluationException(String message) {
    super(message);
  }
}
