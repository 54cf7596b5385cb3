package dev.metricspipeline.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class MeterRegistryIT {

  @Test
  void anAppsMetersReachMetricsSamplesOnTheirOwn(KafkaCluster kafka) {
    String topic = kafka.uniqueTopic("samples");
    kafka.createTopic(topic, 1);
    PublisherConfig config =
        PublisherConfig.defaults(
                KafkaConnection.of(kafka.bootstrapServers()),
                RegistryClientConfig.of(kafka.schemaRegistryUrl()))
            .withTopic(topic);
    try (MetricsPublisher publisher = MetricsPublisher.start(config)) {
      MetricsPipelineMeterRegistry meters =
          MetricsPipelineMeterRegistry.start(
              publisher, Duration.ofSeconds(1), Map.of("job", "billing"));
      try {
        Counter.builder("invoices.sent").register(meters).increment(5);
        List<MetricSample> samples =
            SampleReader.read(
                kafka.bootstrapServers(),
                kafka.schemaRegistryUrl(),
                topic,
                s -> s.stream().anyMatch(x -> x.getName().equals("invoices_sent_total")),
                Duration.ofSeconds(30));
        MetricSample invoices =
            samples.stream()
                .filter(x -> x.getName().equals("invoices_sent_total"))
                .findFirst()
                .orElseThrow();
        assertThat(invoices.getValue()).isEqualTo(5.0);
        assertThat(invoices.getLabels()).containsEntry("job", "billing");
      } finally {
        meters.close();
      }
    }
  }
}
