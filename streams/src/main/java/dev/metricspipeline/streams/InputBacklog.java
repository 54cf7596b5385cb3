package dev.metricspipeline.streams;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;

/**
 * Whether an input partition still has records waiting. The rollup stage closes windows on the wall
 * clock only when a partition is quiet <i>and</i> has nothing waiting: records that simply have not
 * been processed yet (a backlog after a restart, or under load) are not a quiet partition.
 */
@FunctionalInterface
public interface InputBacklog {

  /** Nothing is ever known to wait (tests with {@code TopologyTestDriver}). */
  InputBacklog NONE = (topic, partition) -> false;

  /** Whether records of this partition are known to wait to be processed. */
  boolean hasWaiting(String topic, int partition);

  /**
   * Reads the main consumer's {@code records-lag} (per partition, from the last fetch) out of a
   * Kafka Streams application's metrics, at most once per {@code refreshMs}. A partition with no
   * lag metric yet (not fetched) counts as waiting: the wall clock waits for the first fetch.
   *
   * @param metrics {@code KafkaStreams::metrics}, or a supplier that returns an empty map until the
   *     application exists
   */
  static InputBacklog fromConsumerLag(
      Supplier<Map<MetricName, ? extends Metric>> metrics, long refreshMs) {
    return new InputBacklog() {
      private Map<TopicPartition, Double> lag = Map.of();
      private long refreshedAt = Long.MIN_VALUE / 2; // far past, without overflowing now - it

      @Override
      public synchronized boolean hasWaiting(String topic, int partition) {
        long now = System.currentTimeMillis();
        if (now - refreshedAt >= refreshMs) {
          Map<TopicPartition, Double> next = new HashMap<>();
          metrics
              .get()
              .forEach(
                  (name, metric) -> {
                    if (name.name().equals("records-lag")
                        && name.group().equals("consumer-fetch-manager-metrics")
                        && name.tags().containsKey("partition")
                        && metric.metricValue() instanceof Double value) {
                      next.merge(
                          new TopicPartition(
                              name.tags().get("topic"),
                              Integer.parseInt(name.tags().get("partition"))),
                          value,
                          Math::max);
                    }
                  });
          lag = next;
          refreshedAt = now;
        }
        Double waiting = lag.get(new TopicPartition(topic, partition));
        return waiting == null || waiting.isNaN() || waiting > 0;
      }
    };
  }
}
