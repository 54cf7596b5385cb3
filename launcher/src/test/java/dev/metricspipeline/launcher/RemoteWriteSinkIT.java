package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.metricspipeline.testkit.PrometheusProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue #15's remote_write sink against a receiver no one here wrote: {@code run
 * --remote-write-url} sends the rollups to Debian's {@code prometheus} with {@code
 * --web.enable-remote-write-receiver}, started only after the window closed so the first sends are
 * refused connections, retried with backoff. PromQL in Prometheus then returns the rollup as
 * recording-rule-named series, each window once.
 */
class RemoteWriteSinkIT {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteWriteSinkIT.class);
  private static final long MINUTE = 60_000;

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void rollupsReachPrometheusOnceAfterItComesUp() throws Exception {
    PrometheusProcess.binary();
    int prometheusPort = PrometheusProcess.freePort();
    String receiver = "http://127.0.0.1:" + prometheusPort + "/api/v1/write";
    try (RunCommand.Running running =
        TestPipelines.start(dir.resolve("data"), "--remote-write-url", receiver)) {
      // Two samples in a minute three minutes back: the window is past its end and grace, so it
      // closes at the streams stage's next check.
      long window = (System.currentTimeMillis() / MINUTE - 3) * MINUTE;
      String body =
          "job,job=batch duration_seconds=10 "
              + (window + 5_000)
              + "\njob,job=batch duration_seconds=12.5 "
              + (window + 20_000)
              + "\n";
      HttpResponse<String> pushed =
          http.send(
              HttpRequest.newBuilder(URI.create(running.pushUrl() + "/api/v2/write?precision=ms"))
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(204);

      // Nothing listens yet: the sink retries.
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () ->
                  TestPipelines.counter(
                          TestPipelines.selfMetrics(running), "sink_remote_write_retries_total")
                      >= 2);

      Path promDir = Files.createDirectories(dir.resolve("prometheus"));
      try (PrometheusProcess prometheus =
          PrometheusProcess.start(
              promDir,
              "global:\n  scrape_interval: 1m\n",
              prometheusPort,
              "--web.enable-remote-write-receiver")) {
        Map<String, String> expected = new TreeMap<>();
        expected.put("max", "12.5");
        expected.put("min", "10");
        expected.put("count", "2");
        expected.put("sum", "22.5");
        expected.put("last", "12.5");
        await()
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofSeconds(1))
            .ignoreExceptions()
            .untilAsserted(
                () -> {
                  Map<String, String> theirs = new TreeMap<>();
                  for (String aggregate : expected.keySet()) {
                    JsonNode r =
                        TestPipelines.instantQuery(
                            prometheus.url(),
                            "job_duration_seconds:" + aggregate + "_1m{job=\"batch\"}",
                            window + MINUTE);
                    assertThat(r.at("/data/result")).hasSize(1);
                    theirs.put(aggregate, r.at("/data/result/0/value/1").asText());
                  }
                  assertThat(theirs).isEqualTo(expected);
                });
        // Each window once: one sample at the window's end, whatever the retries did.
        JsonNode samples =
            TestPipelines.instantQuery(
                prometheus.url(),
                "count_over_time(job_duration_seconds:max_1m{job=\"batch\"}[10m])",
                System.currentTimeMillis());
        assertThat(samples.at("/data/result/0/value/1").asText()).isEqualTo("1");
        String self = TestPipelines.selfMetrics(running);
        LOG.info(
            "remote_write sink: {} samples sent, {} retries, {} refused",
            TestPipelines.counter(self, "sink_remote_write_samples_sent_total"),
            TestPipelines.counter(self, "sink_remote_write_retries_total"),
            TestPipelines.counter(self, "sink_remote_write_samples_refused_total"));
        assertThat(TestPipelines.counter(self, "sink_remote_write_samples_refused_total")).isZero();
        assertThat(TestPipelines.counter(self, "sink_remote_write_samples_sent_total"))
            .isGreaterThanOrEqualTo(5);
      }
    }
  }
}
