package dev.metricspipeline.pull.internal;

/** Why a scrape failed: {@code kind} is the metric label, the message the target's lastError. */
final class ScrapeFailure extends Exception {
  private static final long serialVersionUID = 1L;
  private final String kind;

  ScrapeFailure(String kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  String kind() {
    return kind;
  }
}
