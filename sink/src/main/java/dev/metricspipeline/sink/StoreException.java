package dev.metricspipeline.sink;

/**
 * The store failed or is unreachable; the operation had no effect (its transaction rolled back).
 */
public final class StoreException extends Exception {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
