package dev.metricspipeline.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.avro.MetricSample;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SampleTimestampsTest {

  private static final long NOW = 1_764_000_000_000L; // 2025-11-24T16:00:00Z
  private final SampleTimestamps bounds = SampleTimestamps.defaults();

  @ParameterizedTest(name = "{0} ms is taken")
  @CsvSource({
    "0", // the epoch itself
    "1",
    "1764000000000", // now
    "1763990000000", // in the past
    "1764000600000", // exactly ten minutes ahead
  })
  void takesTimestampsFromTheEpochToTheBoundAhead(long timestamp) {
    assertThat(bounds.violation("m", timestamp, NOW)).isEmpty();
  }

  @Test
  void refusesNegativeTimestampsNamingTheSeries() {
    assertThat(bounds.violation("m{a=\"b\"}", -9223372036854775806L, NOW))
        .contains(
            "sample m{a=\"b\"} has timestamp -9223372036854775806 ms, before"
                + " 1970-01-01T00:00:00Z; negative timestamps are refused");
    assertThat(bounds.violation("m", -1, NOW)).isPresent();
  }

  @Test
  void refusesTimestampsBeyondTheBoundNamingTheTimeAndTheFlag() {
    assertThat(bounds.violation("m", NOW + 600_001, NOW))
        .contains(
            "sample m has timestamp 1764000600001 ms (2025-11-24T16:10:00.001Z), PT10M0.001S ahead"
                + " of the receiving clock (2025-11-24T16:00:00Z); at most PT10M ahead is taken"
                + " (--max-sample-ahead)");
    assertThat(bounds.violation("m", Long.MAX_VALUE, NOW)).isPresent();
  }

  @Test
  void theBoundSaturatesInsteadOfOverflowing() {
    assertThat(bounds.violation("m", Long.MAX_VALUE, Long.MAX_VALUE - 5)).isEmpty();
  }

  @Test
  void theBoundStaysBelowKafkasDefaultTimestampLimit() {
    assertThat(new SampleTimestamps(Duration.ofMinutes(50)).maxAhead()).hasMinutes(50);
    assertThatThrownBy(() -> new SampleTimestamps(Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("between PT0S and PT50M")
        .hasMessageContaining("got PT1H");
    assertThatThrownBy(() -> new SampleTimestamps(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void requireAllNamesTheFirstSampleOutOfRange() {
    List<MetricSample> samples =
        List.of(
            Samples.gauge("ok", Map.of(), 1, NOW),
            Samples.gauge("bad", Map.of("job", "x"), 1, -5),
            Samples.gauge("worse", Map.of(), 1, -6));
    assertThatThrownBy(() -> bounds.requireAll(SeriesKey.standard(), samples, NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sample bad{job=\"x\"} has timestamp -5 ms");
  }

  @Test
  void thePublisherRefusesTheWholeCallBeforeContactingKafka() {
    // Nothing listens on port 1: a publish that got as far as Kafka would time out instead.
    PublisherConfig config =
        PublisherConfig.defaults(
            KafkaConnection.of("127.0.0.1:1"),
            dev.metricspipeline.schemas.registry.RegistryClientConfig.of("http://127.0.0.1:1"));
    try (MetricsPublisher publisher = MetricsPublisher.start(config)) {
      var done =
          publisher.publish(
              List.of(
                  Samples.gauge("good", Map.of(), 1, System.currentTimeMillis()),
                  Samples.gauge("future", Map.of(), 1, System.currentTimeMillis() + 3_600_000)));
      assertThatThrownBy(done::get)
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(PublishException.class)
          .hasMessageStartingWith("sample future has timestamp")
          .hasMessageContaining("at most PT10M ahead")
          .matches(e -> !((PublishException) e).isRetriable(), "not retriable");
      assertThat(publisher.queuedSamples()).isZero();
      assertThat(Optional.ofNullable(publisher.transactionsFailed())).contains(0L);
    }
  }
}
