package dev.metricspipeline.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.push.internal.GroupStore;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.testkit.TestClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A group not pushed for its TTL is deleted like a DELETE: its series get stale markers. */
class GroupTtlIT {

  @Test
  void aGroupPastItsTtlIsDeletedWithStaleMarkers() throws Exception {
    List<MetricSample> written = new CopyOnWriteArrayList<>();
    TestClock clock = TestClock.at(Instant.ofEpochMilli(1_700_000_000_000L));
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

      clock.advance(Duration.ofSeconds(61));

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
