package dev.metricspipeline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.push.internal.GroupStore;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A group not pushed for its TTL is deleted like a DELETE: its series get stale markers. */
class GroupTtlIT {

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  @Test
  void aGroupPastItsTtlIsDeletedWithStaleMarkers() throws Exception {
    List<MetricSample> written = new CopyOnWriteArrayList<>();
    TestClock clock = new TestClock();
    PushGatewayConfig config =
        PushGatewayConfig.defaults()
            .withListen("127.0.0.1", 0)
            .withGroupTtl(Optional.of(Duration.ofSeconds(60)));
    GroupStore store = new GroupStore();
    try (PushGateway gateway =
        PushGateway.start(
            config,
            (samples, side) -> {
              written.addAll(samples);
              return CompletableFuture.completedFuture(null);
            },
            store,
            () -> {},
            SeriesKey.standard(),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
            clock)) {
      HttpResponse<String> push =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(gateway.url() + "/metrics/job/nightly"))
                      .timeout(Duration.ofSeconds(30))
                      .POST(HttpRequest.BodyPublishers.ofString("rows 5\n"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(push.statusCode()).isEqualTo(200);
      assertThat(store.all()).hasSize(1);

      clock.millis.addAndGet(Duration.ofSeconds(61).toMillis());

      await("the expired group is deleted")
          .atMost(Duration.ofSeconds(30))
          .until(() -> store.all().isEmpty());
      assertThat(written)
          .filteredOn(s -> StaleMarker.isStale(s.getValue()))
          .extracting(MetricSample::getName)
          .containsExactlyInAnyOrder("rows", "push_time_seconds", "push_failure_time_seconds");
    }
  }
}
