package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.launcher.internal.OpsServer;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import dev.metricspipeline.testkit.TestCertificates;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two servers {@link WebConfigIT} does not reach through {@code run}: the embedded Schema
 * Registry behind TLS and basic auth, used by our registry client with Confluent's own client
 * settings ({@code basic.auth.user.info}, {@code schema.registry.ssl.truststore.*}); and the
 * operations endpoints of the standalone streams and normalizer stages.
 */
@ExtendWith(KafkaExtension.class)
class LockedDoorsIT {

  // PHP's password_hash manual example: "rasmuslerdorf" at cost 10, in the $2y$ variant.
  private static final String HASH = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";

  @TempDir Path dir;

  private TestCertificates.Key key;

  private WebConfig lockedWithTls() throws Exception {
    key = TestCertificates.make(dir, "server", "dns:localhost,ip:127.0.0.1");
    Path web = dir.resolve("web.yml");
    Files.writeString(
        web,
        "tls_server_config: {cert_file: server.crt, key_file: server.key}\n"
            + "basic_auth_users:\n  alice: "
            + HASH
            + "\n");
    return WebConfig.load(web);
  }

  @Test
  void theRegistryTakesConfluentsClientSettingsAndRefusesStrangers(KafkaCluster kafka)
      throws Exception {
    WebConfig web = lockedWithTls();
    try (EmbeddedSchemaRegistry registry =
        EmbeddedSchemaRegistry.start(
            kafka.bootstrapServers(), kafka.uniqueTopic("_schemas"), "127.0.0.1", 0, web)) {
      assertThat(registry.url()).startsWith("https://127.0.0.1:");
      Map<String, Object> tls =
          Map.of(
              RegistryClientConfig.TRUSTSTORE_LOCATION,
              dir.resolve("server.p12").toString(),
              RegistryClientConfig.TRUSTSTORE_PASSWORD,
              TestCertificates.PASSWORD,
              RegistryClientConfig.TRUSTSTORE_TYPE,
              "PKCS12");
      Map<String, Object> alice = new java.util.HashMap<>(tls);
      alice.put("schema.registry.url", registry.url());
      alice.put("basic.auth.credentials.source", "USER_INFO");
      alice.put(RegistryClientConfig.BASIC_AUTH_USER_INFO, "alice:rasmuslerdorf");
      SchemaRegistryClient client =
          new SchemaRegistryClient(RegistryClientConfig.fromProperties(alice));
      int id = client.register("locked-value", MetricSample.getClassSchema());
      assertThat(client.schemaById(id)).isEqualTo(MetricSample.getClassSchema());

      Map<String, Object> stranger = new java.util.HashMap<>(tls);
      stranger.put("schema.registry.url", registry.url());
      SchemaRegistryClient anonymous =
          new SchemaRegistryClient(RegistryClientConfig.fromProperties(stranger));
      assertThatThrownBy(() -> anonymous.subjects())
          .isInstanceOf(SchemaRegistryException.class)
          .hasMessageContaining("401");
    }
  }

  @Test
  void theOperationsEndpointsOfAStandaloneStageAreLockedToo() throws Exception {
    WebConfig web = lockedWithTls();
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.counter("locked_doors_total").increment();
    try (OpsServer ops = OpsServer.start(web, "127.0.0.1", 0, meters, () -> true)) {
      HttpClient https =
          HttpClient.newBuilder().sslContext(TestCertificates.clientContext(key, null)).build();
      URI metrics = URI.create("https://localhost:" + ops.port() + "/metrics");
      assertThat(
              https
                  .send(
                      HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(401);
      HttpResponse<String> ok =
          https.send(
              HttpRequest.newBuilder(metrics)
                  .header(
                      "Authorization",
                      "Basic "
                          + java.util.Base64.getEncoder()
                              .encodeToString("alice:rasmuslerdorf".getBytes()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("locked_doors_total 1.0");
    }
  }
}
