package dev.metricspipeline.streams.internal;

import org.apache.kafka.streams.processor.api.RecordMetadata;

/** {@code topic/partition@offset} for log lines. */
final class Coordinates {
  private Coordinates() {}

  static String of(RecordMetadata where) {
    return where == null
        ? "(punctuation)"
        : where.topic() + "/" + where.partition() + "@" + where.offset();
  }
}
