package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.testkit.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code run --web.config.file} with TLS and basic auth: every public door (push gateway, query
 * API, scraper) answers only HTTPS, refuses a push without the right password with 401 and
 * publishes nothing of it, takes the right one; and the built-in self-scrape still works, though
 * the gateway's {@code /metrics} is locked.
 */
class WebConfigIT {

  // PHP's password_hash manual example: "rasmuslerdorf" at cost 10, in the $2y$ variant.
  private static final String HASH = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";

  @TempDir Path dir;

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> send(
      HttpClient http, String method, String url, String authorization, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aLockedRunRefusesStrangersPublishesNothingOfThemAndStillScrapesItself() throws Exception {
    TestCertificates.Key key = TestCertificates.make(dir, "server", "dns:localhost,ip:127.0.0.1");
    Path web = dir.resolve("web.yml");
    Files.writeString(
        web,
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
            + "basic_auth_users:\n  alice: "
            + HASH
            + "\n");
    HttpClient https =
        HttpClient.newBuilder().sslContext(TestCertificates.clientContext(key, null)).build();
    String alice = basic("alice", "rasmuslerdorf");

    RunCommand run = new RunCommand();
    new CommandLine(run)
        .parseArgs(
            "--data-dir", dir.resolve("data").toString(),
            "--kafka-port", "0",
            "--schema-registry-port", "0",
            "--push-port", "0",
            "--otlp-grpc-port", "0",
            "--query-port", "0",
            "--scraper-port", "0",
            "--partitions", "2",
            "--web.config.file", web.toString());
    try (RunCommand.Running running = run.start()) {
      assertThat(running.pushUrl()).startsWith("https://");
      String push = running.pushUrl() + "/metrics/job/locked";
      assertThat(send(https, "POST", push, null, "locked_out_total 1\n").statusCode())
          .isEqualTo(401);
      assertThat(
              send(https, "PUT", push, basic("alice", "guess"), "locked_out_total 2\n")
                  .statusCode())
          .isEqualTo(401);
      assertThatThrownBy(
              () ->
                  send(
                      HttpClient.newHttpClient(),
                      "POST",
                      push.replace("https://", "http://"),
                      alice,
                      "locked_out_total 3\n"))
          .as("clear text to the TLS gateway")
          .isInstanceOf(IOException.class);
      assertThat(send(https, "POST", push, alice, "let_in_total 1\n").statusCode()).isEqualTo(200);

      for (String url :
          List.of(
              running.queryUrl() + "/api/v1/labels",
              running.scraperUrl() + "/api/v1/targets",
              running.pushUrl() + "/metrics",
              running.pushUrl() + "/-/ready")) {
        assertThat(send(https, "GET", url, null, null).statusCode()).as(url).isEqualTo(401);
        assertThat(send(https, "GET", url, alice, null).statusCode()).as(url).isEqualTo(200);
      }

      // The self-scrape reads the meters over loopback and keeps the gateway as its instance.
      String instance = running.pushUrl().substring("https://".length());
      await("the self-scrape's up sample and alice's push")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(2))
          .until(
              () -> {
                List<JsonNode> samples =
                    TestPipelines.tail(
                        running, Topics.SAMPLES, "--from-beginning", "--idle-timeout", "2");
                return samples.stream().anyMatch(s -> isUp(s, instance))
                    && samples.stream().anyMatch(s -> named(s, "let_in_total"));
              });
      List<JsonNode> samples =
          TestPipelines.tail(running, Topics.SAMPLES, "--from-beginning", "--idle-timeout", "2");
      assertThat(samples).noneMatch(s -> named(s, "locked_out_total"));
    }
  }

  private static boolean named(JsonNode sample, String name) {
    return sample.at("/value/name").asText().equals(name);
  }

  private static boolean isUp(JsonNode sample, String instance) {
    return named(sample, "up")
        && sample.at("/value/labels/job").asText().equals("metrics-pipeline")
        && sample.at("/value/labels/instance").asText().equals(instance)
        && sample.at("/value/value").asDouble() == 1.0;
  }
}
