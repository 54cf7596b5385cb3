package dev.metricspipeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WebConfigTest {

  // The example hash of PHP's password_hash manual page: "rasmuslerdorf", $2y$, cost 10.
  static final String HASH = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";
  static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  @TempDir Path dir;

  @BeforeEach
  void files() throws Exception {
    Files.writeString(dir.resolve("server.crt"), PEM);
    Files.writeString(dir.resolve("server.key"), PEM.replace("CERTIFICATE", "PRIVATE KEY"));
    Files.writeString(dir.resolve("ca.crt"), PEM);
  }

  private WebConfig parse(String yaml) {
    return WebConfig.parse(yaml, "web.yml", dir);
  }

  @Test
  void aFullPrometheusWebConfigParsesWithFilesRelativeToIt() throws Exception {
    Path file = dir.resolve("web.yml");
    Files.writeString(
        file,
        """
        tls_server_config:
          cert_file: server.crt
          key_file: server.key
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: ca.crt
          client_allowed_sans: [scraper.example]
          min_version: TLS13
          max_version: TLS13
          cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
          prefer_server_cipher_suites: true
        http_server_config:
          http2: false
          headers:
            X-Frame-Options: deny
            strict-transport-security: max-age=31536000
        basic_auth_users:
          alice: %s
        """
            .formatted(HASH));

    WebConfig config = WebConfig.load(file);

    WebConfig.Tls tls = config.tls().orElseThrow();
    assertThat(tls.certPem()).isEqualTo(PEM);
    assertThat(tls.keyPem()).contains("BEGIN PRIVATE KEY");
    assertThat(tls.clientAuth()).isEqualTo(WebConfig.ClientAuthType.REQUIRE_AND_VERIFY_CLIENT_CERT);
    assertThat(tls.clientCaPem()).contains(PEM);
    assertThat(tls.clientAllowedSans()).containsExactly("scraper.example");
    assertThat(tls.minVersion()).isEqualTo("TLSv1.3");
    assertThat(tls.cipherSuites()).containsExactly("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assertThat(config.http2()).isFalse();
    assertThat(config.headers())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("X-Frame-Options", "deny", "Strict-Transport-Security", "max-age=31536000"));
    assertThat(config.users()).containsExactly(Map.entry("alice", HASH));
    assertThat(config.requiresAuth()).isTrue();
  }

  @Test
  void defaultsAreTheToolkitsAndAnEmptyFileLocksNothing() {
    WebConfig tlsOnly = parse("tls_server_config: {cert_file: server.crt, key_file: server.key}");
    assertThat(tlsOnly.tls().orElseThrow().clientAuth())
        .isEqualTo(WebConfig.ClientAuthType.NO_CLIENT_CERT);
    assertThat(tlsOnly.tls().orElseThrow().minVersion()).isEqualTo("TLSv1.2");
    assertThat(tlsOnly.tls().orElseThrow().maxVersion()).isEqualTo("TLSv1.3");
    assertThat(tlsOnly.http2()).isTrue();
    assertThat(tlsOnly.requiresAuth()).isFalse();
    assertThat(WebConfig.versionsBetween("TLSv1.2", "TLSv1.3"))
        .containsExactly("TLSv1.2", "TLSv1.3");

    assertThat(parse("")).isEqualTo(WebConfig.none());
    assertThat(parse("basic_auth_users: {bob: '" + HASH + "'}").tls()).isEmpty();
  }

  @Test
  void inlinePemWorksLikeAFile() {
    WebConfig config =
        parse(
            "tls_server_config:\n  cert: |\n    "
                + PEM.replace("\n", "\n    ")
                + "\n  key_file: server.key");
    assertThat(config.tls().orElseThrow().certPem()).contains("BEGIN CERTIFICATE");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          unknown top-level key      | scrape_configs: []                                                      | unknown key 'scrape_configs' at line 1
          unknown tls key            | 'tls_server_config: {cert_file: server.crt, key_file: server.key, cert_path: x}' | unknown key 'cert_path'
          duplicate key              | 'basic_auth_users: {a: x}\nbasic_auth_users: {b: y}'                   | Duplicate field 'basic_auth_users'
          not a bcrypt hash          | 'basic_auth_users: {alice: secret}'                                     | basic_auth_users.alice: not a bcrypt hash
          user with a colon          | 'basic_auth_users: {''a:b'': x}'                                       | has ':'
          key without cert           | 'tls_server_config: {key_file: server.key}'                             | needs a certificate and a key
          missing file               | 'tls_server_config: {cert_file: nope.crt, key_file: server.key}'        | cert_file
          not PEM                    | 'tls_server_config: {cert: hello, key_file: server.key}'                | not PEM
          both inline and file       | 'tls_server_config: {cert: x, cert_file: server.crt, key_file: server.key}' | not both
          unknown TLS version        | 'tls_server_config: {cert_file: server.crt, key_file: server.key, min_version: SSL3}' | 'SSL3' is not one of TLS10
          min above max              | 'tls_server_config: {cert_file: server.crt, key_file: server.key, min_version: TLS13, max_version: TLS12}' | min_version is above max_version
          unknown client auth type   | 'tls_server_config: {cert_file: server.crt, key_file: server.key, client_auth_type: Always}' | 'Always' is not one of
          CA without verification    | 'tls_server_config: {cert_file: server.crt, key_file: server.key, client_ca_file: ca.crt}' | does not verify client certificates
          verification without CA   | 'tls_server_config: {cert_file: server.crt, key_file: server.key, client_auth_type: RequireAndVerifyClientCert}' | needs client_ca_file
          SANs without verification  | 'tls_server_config: {cert_file: server.crt, key_file: server.key, client_allowed_sans: [a]}' | client_allowed_sans needs
          unknown cipher suite       | 'tls_server_config: {cert_file: server.crt, key_file: server.key, cipher_suites: [TLS_RSA_WITH_NOTHING]}' | 'TLS_RSA_WITH_NOTHING' is not a suite
          curve preferences          | 'tls_server_config: {cert_file: server.crt, key_file: server.key, curve_preferences: [X25519]}' | curve_preferences is not supported
          header not allowed         | 'http_server_config: {headers: {Server: mine}}'                         | 'Server' cannot be set
          empty header               | 'http_server_config: {headers: {X-Frame-Options: ''''}}'                | empty or has control characters
          not YAML                   | 'tls_server_config: [unclosed'                                          | web config web.yml
          """)
  void badConfigsAreRefusedNamingTheFileAndKey(String why, String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml.replace("\\n", "\n")))
        .as(why)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("web config web.yml")
        .hasMessageContaining(message);
  }

  @Test
  void aMissingConfigFileIsAClearError() {
    assertThatThrownBy(() -> WebConfig.load(dir.resolve("absent.yml")))
        .hasMessageContaining("absent.yml")
        .hasMessageContaining("cannot read it");
  }

  @Test
  void basicCredentialsAreTakenOnlyFromAWellFormedHeader() {
    assertThat(BasicAuthDoor.credentials("Basic YWxpY2U6czNjcjp0"))
        .containsExactly("alice", "s3cr:t");
    assertThat(BasicAuthDoor.credentials("basic YWxpY2U6")).containsExactly("alice", "");
    assertThat(BasicAuthDoor.credentials(null)).isNull();
    assertThat(BasicAuthDoor.credentials("Bearer abc")).isNull();
    assertThat(BasicAuthDoor.credentials("Basic !!!")).isNull();
    assertThat(BasicAuthDoor.credentials("Basic YWxpY2U=")).isNull(); // "alice", no colon
  }
}
