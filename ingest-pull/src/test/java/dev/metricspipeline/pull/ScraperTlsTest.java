package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.testkit.TestCertificates;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scraper's {@code tls_config} against real HTTPS targets: a server whose self-signed
 * certificate names only {@code metrics.example} (not the address it listens on), and a second one
 * that also requires a client certificate. Keys come from {@link TestCertificates}.
 */
class ScraperTlsTest {

  private static final String PASSWORD = TestCertificates.PASSWORD;

  @TempDir static Path keys;
  private static Vertx vertx;
  private static HttpServer plain;
  private static HttpServer mutual;
  private static final Map<String, String> hostHeaders = new ConcurrentHashMap<>();

  @TempDir Path dir;
  private final List<MetricSample> published = new ArrayList<>();
  private Scraper scraper;

  @BeforeAll
  static void servers() throws Exception {
    Path server = TestCertificates.make(keys, "server", "dns:metrics.example").store();
    Path client = TestCertificates.make(keys, "client", "dns:scraper.example").store();
    vertx = Vertx.vertx();
    plain = https(new HttpServerOptions(), server, "plain");
    mutual =
        https(
            new HttpServerOptions()
                .setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PfxOptions().setPath(client.toString()).setPassword(PASSWORD)),
            server,
            "mutual");
  }

  private static HttpServer https(HttpServerOptions options, Path keystore, String name)
      throws Exception {
    return vertx
        .createHttpServer(
            options
                .setSsl(true)
                .setKeyCertOptions(
                    new PfxOptions().setPath(keystore.toString()).setPassword(PASSWORD)))
        .requestHandler(
            r -> {
              hostHeaders.put(name, String.valueOf(r.getHeader("Host")));
              r.response()
                  .putHeader("Content-Type", "text/plain; version=0.0.4")
                  .end("tls_target_info{server=\"" + name + "\"} 1\n");
            })
        .listen(0, "127.0.0.1")
        .await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopServers() {
    vertx.close().await();
  }

  @AfterEach
  void stop() {
    if (scraper != null) {
      scraper.close();
    }
  }

  private CompletableFuture<Void> record(List<MetricSample> batch) {
    synchronized (published) {
      published.addAll(batch);
    }
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Each job's highest {@code up} over its first three reports: a target that can be scraped is up
   * in at least one of them even when a cold first TLS handshake on a loaded machine outlasts the
   * 900 ms scrape timeout; one that cannot stays 0 in all three.
   */
  private Map<String, Double> upByJob(String... jobs) {
    Map<String, Double> up = new ConcurrentHashMap<>();
    Map<String, Integer> reports = new ConcurrentHashMap<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              up.clear();
              reports.clear();
              synchronized (published) {
                for (MetricSample s : published) {
                  if (s.getName().equals("up")) {
                    String job = s.getLabels().get("job");
                    if (reports.merge(job, 1, Integer::sum) <= 3) {
                      up.merge(job, s.getValue(), Math::max);
                    }
                  }
                }
              }
              return List.of(jobs).stream().allMatch(j -> reports.getOrDefault(j, 0) >= 3);
            });
    return up;
  }

  private void scrape(String jobs) throws Exception {
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config, "global: {scrape_interval: 1s, scrape_timeout: 900ms}\nscrape_configs:\n" + jobs);
    scraper =
        Scraper.start(
            ScraperSettings.defaults().withListen("127.0.0.1", 0),
            () -> PullConfig.load(config),
            this::record,
            SeriesKey.standard(),
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  private static String job(String name, HttpServer server, String tls) {
    return "  - {job_name: "
        + name
        + ", scheme: https, static_configs: [{targets: ['127.0.0.1:"
        + server.actualPort()
        + "']}]"
        + (tls.isEmpty() ? "" : ", tls_config: {" + tls + "}")
        + "}\n";
  }

  @Test
  void certificatesAreVerifiedAgainstTheCaFileAndTheServerName() throws Exception {
    String ca = "ca_file: " + keys.resolve("server.crt");
    scrape(
        job("named", plain, ca + ", server_name: metrics.example")
            + job("wrong_name", plain, ca)
            + job("unknown_ca", plain, "server_name: metrics.example")
            + job("insecure", plain, "insecure_skip_verify: true"));
    Map<String, Double> up = upByJob("named", "wrong_name", "unknown_ca", "insecure");
    assertThat(up)
        .as(
            "trusted CA and matching name scrape; a name the certificate lacks or an unknown CA"
                + " fail; insecure_skip_verify skips both checks")
        .containsEntry("named", 1.0)
        .containsEntry("wrong_name", 0.0)
        .containsEntry("unknown_ca", 0.0)
        .containsEntry("insecure", 1.0);
    synchronized (published) {
      assertThat(published)
          .filteredOn(s -> s.getName().equals("tls_target_info"))
          .extracting(s -> s.getLabels().get("job"))
          .containsOnly("named", "insecure");
    }
    assertThat(hostHeaders.get("plain"))
        .as("server_name changes the name checked, not the Host header")
        .isEqualTo("127.0.0.1:" + plain.actualPort());

    assertThat(scraper.httpClients()).as("one client per job's TLS settings").isEqualTo(4);
    Files.writeString(
        dir.resolve("prometheus.yml"),
        "scrape_configs:\n" + job("named", plain, ca + ", server_name: metrics.example"));
    scraper.reload();
    assertThat(scraper.httpClients()).as("the reload closed the three unused clients").isEqualTo(1);
  }

  @Test
  void aClientCertificateIsPresentedWhenTheTargetRequiresOne() throws Exception {
    String trust = "insecure_skip_verify: true";
    scrape(
        job(
                "with_cert",
                mutual,
                trust
                    + ", cert_file: "
                    + keys.resolve("client.crt")
                    + ", key_file: "
                    + keys.resolve("client.key"))
            + job("without_cert", mutual, trust));
    Map<String, Double> up = upByJob("with_cert", "without_cert");
    assertThat(up).containsEntry("with_cert", 1.0).containsEntry("without_cert", 0.0);
  }
}
