package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** file_sd_configs picked up when the file changes, and basic auth / bearer tokens sent. */
class DiscoveryAndAuthTest {

  @TempDir Path dir;

  @Test
  void fileSdChangesAreFollowedAndCredentialsAreSent() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    String basic =
        "Basic " + Base64.getEncoder().encodeToString("u:s3cret".getBytes(StandardCharsets.UTF_8));
    server.createContext(
        "/metrics",
        ex -> {
          String auth = ex.getRequestHeaders().getFirst("Authorization");
          boolean ok = basic.equals(auth) || "Bearer t0ken".equals(auth);
          byte[] body = (ok ? "authorized 1\n" : "no").getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(ok ? 200 : 401, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    String address = "127.0.0.1:" + server.getAddress().getPort();
    Files.writeString(dir.resolve("password"), "s3cret\n");
    Path targets = dir.resolve("targets.json");
    Files.writeString(
        targets, "[{\"targets\": [\"" + address + "\"], \"labels\": {\"team\": \"a\"}}]");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        """
        global: {scrape_interval: 1s, scrape_timeout: 500ms}
        scrape_configs:
          - job_name: files
            basic_auth: {username: u, password_file: password}
            file_sd_configs: [{files: ['targets.json']}]
          - job_name: bearer
            authorization: {credentials: t0ken}
            static_configs: [{targets: ['%s']}]
        """
            .formatted(address));
    List<MetricSample> seen = new ArrayList<>();
    try (Scraper scraper =
        Scraper.start(
            ScraperSettings.defaults().withListen("127.0.0.1", 0),
            () -> PullConfig.load(config),
            batch -> {
              synchronized (seen) {
                seen.addAll(batch);
              }
              return CompletableFuture.completedFuture(null);
            },
            SeriesKey.standard(),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  count(seen, "authorized", "files", "a") > 0
                      && count(seen, "authorized", "bearer", null) > 0);
      assertThat(count(seen, "up", "files", "a")).isPositive();
      assertThat(scraper.ready()).isTrue();

      // The file changes: the target's group labels change, so it is a new target; the old one
      // goes stale. Picked up within the 5 s file check, no reload needed.
      Files.writeString(
          targets, "[{\"targets\": [\"" + address + "\"], \"labels\": {\"team\": \"b\"}}]");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> count(seen, "authorized", "files", "b") > 0);
      synchronized (seen) {
        assertThat(seen)
            .anyMatch(
                s ->
                    s.getName().equals("authorized")
                        && "a".equals(s.getLabels().get("team"))
                        && StaleMarker.isStale(s.getValue()));
      }
    } finally {
      server.stop(0);
    }
  }

  private static long count(List<MetricSample> seen, String name, String job, String team) {
    synchronized (seen) {
      return seen.stream()
          .filter(s -> s.getName().equals(name))
          .filter(s -> job.equals(s.getLabels().get("job")))
          .filter(s -> team == null || team.equals(s.getLabels().get("team")))
          .filter(s -> s.getValue() == 1.0)
          .count();
    }
  }
}
