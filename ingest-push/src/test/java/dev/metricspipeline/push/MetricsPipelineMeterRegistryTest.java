package dev.metricspipeline.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.PublishException;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MetricsPipelineMeterRegistryTest {

  private final List<List<MetricSample>> published = new ArrayList<>();
  private boolean fail;
  private final MockClock clock = new MockClock();
  private final MetricsPipelineMeterRegistry registry =
      new MetricsPipelineMeterRegistry(
          samples -> {
            if (fail) {
              return CompletableFuture.failedFuture(new PublishException("Kafka away", true, null));
            }
            published.add(samples);
            return CompletableFuture.completedFuture(null);
          },
          Duration.ofSeconds(10),
          Map.of("job", "billing", "instance", "pod-1"),
          clock);

  @Test
  void metersBecomeSamplesWithPrometheusNamesAndTheGroupLabels() {
    Counter.builder("invoices.sent").tag("channel", "email").register(registry).increment(3);
    AtomicInteger queue = new AtomicInteger(7);
    Gauge.builder("queue.size", queue, AtomicInteger::get).register(registry);
    Timer timer = Timer.builder("render").register(registry);
    timer.record(Duration.ofMillis(250));
    timer.record(Duration.ofMillis(750));

    registry.publish();

    assertThat(published).hasSize(1);
    Map<String, Double> values = new TreeMap<>();
    for (MetricSample s : published.get(0)) {
      values.put(SeriesKey.standard().idOf(s), s.getValue());
      assertThat(s.getOrigin()).isEqualTo(Origin.PUSH_CLIENT);
      assertThat(s.getPushGroup()).isEqualTo("instance=\"pod-1\",job=\"billing\"");
    }
    assertThat(values)
        .containsEntry(
            "invoices_sent_total{channel=\"email\",instance=\"pod-1\",job=\"billing\"}", 3.0)
        .containsEntry("queue_size{instance=\"pod-1\",job=\"billing\"}", 7.0)
        .containsEntry("render_seconds_count{instance=\"pod-1\",job=\"billing\"}", 2.0)
        .containsEntry("render_seconds_sum{instance=\"pod-1\",job=\"billing\"}", 1.0)
        .containsEntry("render_seconds_max{instance=\"pod-1\",job=\"billing\"}", 0.75);
    assertThat(published.get(0))
        .filteredOn(s -> s.getName().equals("invoices_sent_total"))
        .extracting(MetricSample::getType)
        .containsExactly(SampleType.COUNTER);
  }

  @Test
  void aFailedPublishIsCountedAndTheNextOneCarriesCumulativeValues() {
    Counter counter = Counter.builder("events").register(registry);
    counter.increment();
    fail = true;
    registry.publish();
    assertThat(registry.failedPublishes()).isEqualTo(1);
    fail = false;
    counter.increment();
    registry.publish();
    assertThat(published.get(0)).extracting(MetricSample::getValue).containsExactly(2.0);
  }
}
