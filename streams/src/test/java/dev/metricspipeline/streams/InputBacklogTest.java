package dev.metricspipeline.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

class InputBacklogTest {

  private static Metric gauge(MetricName name, double value) {
    return new Metric() {
      @Override
      public MetricName metricName() {
        return name;
      }

      @Override
      public Object metricValue() {
        return value;
      }
    };
  }

  private static void lag(Map<MetricName, Metric> into, String topic, int partition, double v) {
    MetricName name =
        new MetricName(
            "records-lag",
            "consumer-fetch-manager-metrics",
            "",
            Map.of(
                "client-id",
                "app-StreamThread-1-consumer",
                "topic",
                topic,
                "partition",
                "" + partition));
    into.put(name, gauge(name, v));
  }

  @Test
  void theMainConsumersRecordsLagSaysWhetherRecordsWait() {
    Map<MetricName, Metric> metrics = new HashMap<>();
    lag(metrics, "metrics.samples", 0, 0);
    lag(metrics, "metrics.samples", 1, 1234);
    lag(metrics, "metrics.samples", 2, Double.NaN);
    lag(metrics, "metrics_samples", 3, 0); // the same metric under the legacy topic tag
    MetricName other =
        new MetricName("records-lag-max", "consumer-fetch-manager-metrics", "", Map.of());
    metrics.put(other, gauge(other, 0));
    InputBacklog backlog = InputBacklog.fromConsumerLag(() -> metrics, 0);
    assertThat(backlog.hasWaiting("metrics.samples", 0)).isFalse();
    assertThat(backlog.hasWaiting("metrics.samples", 1)).isTrue();
    assertThat(backlog.hasWaiting("metrics.samples", 2)).as("NaN: not known yet").isTrue();
    assertThat(backlog.hasWaiting("metrics.samples", 3)).as("never fetched: no metric").isTrue();
    lag(metrics, "metrics.samples", 1, 0);
    assertThat(backlog.hasWaiting("metrics.samples", 1)).as("refreshed").isFalse();
  }
}
