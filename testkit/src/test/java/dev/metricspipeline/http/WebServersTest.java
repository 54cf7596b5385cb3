package dev.metricspipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.testkit.TestCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Servers started through {@link WebServers} with real TLS and bcrypt, talked to by the JDK's
 * HttpClient; and the same web config file checked by Prometheus' {@code promtool} and given to
 * Debian's Pushgateway, which must answer the same way: the file is Prometheus' format, not ours.
 */
class WebServersTest {

  // PHP's password_hash manual example: "rasmuslerdorf" at cost 10, in the $2y$ variant.
  private static final String HASH = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";
  private static final String RIGHT = basic("alice", "rasmuslerdorf");
  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final Path PUSHGATEWAY = Path.of("/usr/bin/prometheus-pushgateway");

  @TempDir static Path dir;
  private static Vertx vertx;
  private static TestCertificates.Key server;
  private static TestCertificates.Key client;
  private static TestCertificates.Key stranger;

  @BeforeAll
  static void keys() {
    vertx = Vertx.vertx();
    server = TestCertificates.make(dir, "server", "dns:localhost,ip:127.0.0.1");
    client = TestCertificates.make(dir, "client", "dns:scraper.example");
    stranger = TestCertificates.make(dir, "stranger", "dns:other.example");
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  private static Path webConfig(String name, String yaml) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, yaml);
    return file;
  }

  /** Echoes method, path and the body's length and first bytes: the body must arrive whole. */
  private static HttpServer start(Path webConfig) throws Exception {
    return WebServers.listen(
            vertx,
            WebConfig.load(webConfig),
            "127.0.0.1",
            0,
            request ->
                request
                    .body()
                    .onSuccess(
                        body ->
                            request
                                .response()
                                .end(
                                    request.method()
                                        + " "
                                        + request.path()
                                        + " "
                                        + body.length()
                                        + " "
                                        + body.toString(StandardCharsets.UTF_8))))
        .await(30, TimeUnit.SECONDS);
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> post(
      HttpClient http, String url, String authorization, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static SSLContext tls(TestCertificates.Key trusted, TestCertificates.Key own) {
    return TestCertificates.clientContext(trusted, own);
  }

  private static HttpClient client(SSLContext context, String... protocols) {
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (context != null) {
      builder.sslContext(context);
      if (protocols.length > 0) {
        SSLParameters parameters = new SSLParameters();
        parameters.setProtocols(protocols);
        builder.sslParameters(parameters);
      }
    }
    return builder.build();
  }

  @Test
  void basicAuthRefusesBeforeTheBodyIsReadAndLetsTheRightPasswordThroughWithItsBody()
      throws Exception {
    HttpServer server =
        start(
            webConfig(
                "auth.yml",
                "basic_auth_users:\n  alice: "
                    + HASH
                    + "\nhttp_server_config:\n"
                    + "  headers: {X-Content-Type-Options: nosniff}\n"));
    try {
      String url = "http://127.0.0.1:" + server.actualPort() + "/metrics/job/a";
      HttpClient http = client(null);
      String body = "job_duration_seconds 12.5\n".repeat(2000);

      HttpResponse<String> none = post(http, url, null, body);
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Basic");
      assertThat(none.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
      assertThat(none.body()).isEqualTo("Unauthorized\n");
      assertThat(post(http, url, basic("alice", "wrong"), body).statusCode()).isEqualTo(401);
      assertThat(post(http, url, basic("mallory", "rasmuslerdorf"), body).statusCode())
          .isEqualTo(401);
      assertThat(post(http, url, "Bearer rasmuslerdorf", body).statusCode()).isEqualTo(401);

      // The first right request waits for bcrypt off the event loop; the second is remembered.
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> ok = post(http, url, RIGHT, body);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("POST /metrics/job/a " + body.length() + " " + body);
        assertThat(ok.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
      }
      // A remembered wrong password stays wrong.
      assertThat(post(http, url, basic("alice", "wrong"), "x").statusCode()).isEqualTo(401);
    } finally {
      server.close().await();
    }
  }

  @Test
  void tlsServesTheConfiguredCertificateAndOnlyTheAllowedVersions() throws Exception {
    HttpServer listening =
        start(
            webConfig(
                "tls.yml",
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                    + "  min_version: TLS13\n"));
    try {
      String url = "https://localhost:" + listening.actualPort() + "/x";
      assertThat(post(client(tls(server, null)), url, null, "hi").body()).isEqualTo("POST /x 2 hi");
      assertThatThrownBy(() -> post(client(tls(server, null), "TLSv1.2"), url, null, "hi"))
          .as("TLS 1.2 below min_version TLS13")
          .isInstanceOf(IOException.class);
      assertThatThrownBy(() -> post(client(tls(stranger, null)), url, null, "hi"))
          .as("a client that does not trust the server's certificate")
          .isInstanceOf(IOException.class);
      assertThatThrownBy(
              () ->
                  post(client(null), "http://127.0.0.1:" + listening.actualPort() + "/x", null, ""))
          .as("clear text to a TLS port")
          .isInstanceOf(IOException.class);
    } finally {
      listening.close().await();
    }
  }

  @Test
  void clientCertificatesAreVerifiedAgainstTheCaAndTheAllowedSans() throws Exception {
    HttpServer mutual =
        start(
            webConfig(
                "mtls.yml",
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                    + "  client_auth_type: RequireAndVerifyClientCert\n"
                    + "  client_ca_file: client.crt\n"));
    Files.writeString(
        dir.resolve("both.crt"),
        Files.readString(client.certPem()) + Files.readString(stranger.certPem()));
    HttpServer sans =
        start(
            webConfig(
                "sans.yml",
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                    + "  client_auth_type: RequireAndVerifyClientCert\n"
                    + "  client_ca_file: both.crt\n  client_allowed_sans: [scraper.example]\n"));
    try {
      String url = "https://localhost:" + mutual.actualPort() + "/m";
      assertThat(post(client(tls(server, client)), url, null, "ok").statusCode()).isEqualTo(200);
      assertThatThrownBy(() -> post(client(tls(server, null)), url, null, "no cert"))
          .isInstanceOf(IOException.class);
      assertThatThrownBy(() -> post(client(tls(server, stranger)), url, null, "other CA"))
          .isInstanceOf(IOException.class);

      String sansUrl = "https://localhost:" + sans.actualPort() + "/s";
      assertThat(post(client(tls(server, client)), sansUrl, null, "ok").statusCode())
          .isEqualTo(200);
      assertThatThrownBy(() -> post(client(tls(server, stranger)), sansUrl, null, "wrong SAN"))
          .as("trusted by the CA file, but other.example is not an allowed SAN")
          .isInstanceOf(IOException.class);
    } finally {
      mutual.close().await();
      sans.close().await();
    }
  }

  /** Prometheus' own tools judge the file first; then the Pushgateway and we must agree. */
  @Test
  void theSameFileLocksDebiansPushgatewayAndUsAlike() throws Exception {
    if (!Files.isExecutable(PROMTOOL) || !Files.isExecutable(PUSHGATEWAY)) {
      Assumptions.assumeFalse(
          !"true".equals(System.getenv("CI")), "promtool or prometheus-pushgateway missing");
      throw new IllegalStateException(
          "CI needs Debian's prometheus and prometheus-pushgateway (.ci/run installs them)");
    }
    Path file =
        webConfig(
            "web.yml",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                + "basic_auth_users:\n  alice: "
                + HASH
                + "\n");
    Process check =
        new ProcessBuilder(PROMTOOL.toString(), "check", "web-config", file.toString())
            .redirectErrorStream(true)
            .start();
    String checked = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as(checked).isZero();

    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Process pushgateway =
        new ProcessBuilder(
                PUSHGATEWAY.toString(),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.config.file=" + file)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("pushgateway.log").toFile())
            .start();
    HttpServer ours = start(file);
    try {
      HttpClient https = client(tls(server, null));
      String theirs = "https://localhost:" + port + "/metrics/job/batch_job";
      await("Pushgateway listening")
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () -> post(https, theirs, RIGHT, "job_duration_seconds 12.5\n").statusCode() == 200);
      for (String url :
          new String[] {
            theirs, "https://localhost:" + ours.actualPort() + "/metrics/job/batch_job"
          }) {
        assertThat(post(https, url, null, "job_duration_seconds 1\n").statusCode())
            .as(url + " without credentials")
            .isEqualTo(401);
        assertThat(
                post(https, url, basic("alice", "nope"), "job_duration_seconds 1\n").statusCode())
            .as(url + " with a wrong password")
            .isEqualTo(401);
        assertThat(post(https, url, RIGHT, "job_duration_seconds 1\n").statusCode())
            .as(url + " with alice's password")
            .isEqualTo(200);
      }
    } finally {
      pushgateway.destroy();
      pushgateway.waitFor(10, TimeUnit.SECONDS);
      ours.close().await();
    }
  }
}
