package dev.metricspipeline.http;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A web config file in Prometheus' own format (the exporter toolkit's {@code --web.config.file}),
 * so the file a Prometheus, Pushgateway or node_exporter already uses works here unchanged:
 *
 * <pre>{@code
 * tls_server_config:
 *   cert_file: server.crt        # or cert: inline PEM; paths are relative to this file
 *   key_file: server.key         # or key: inline PEM
 *   client_auth_type: RequireAndVerifyClientCert   # NoClientCert (default), RequestClientCert,
 *                                # RequireAnyClientCert, VerifyClientCertIfGiven
 *   client_ca_file: clients.crt  # or client_ca: inline PEM
 *   client_allowed_sans: [scraper.example]
 *   min_version: TLS12           # TLS10..TLS13; default TLS12
 *   max_version: TLS13           # default TLS13
 *   cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]   # TLS 1.2 and below, as in Go
 *   prefer_server_cipher_suites: true
 * http_server_config:
 *   http2: true                  # over TLS (ALPN); never in clear text
 *   headers: {Strict-Transport-Security: max-age=31536000}
 * basic_auth_users:
 *   alice: $2y$10$...            # bcrypt hashes ($2a$, $2b$, $2y$)
 * }</pre>
 *
 * <p>Parsing is as strict as the toolkit's: an unknown key, a duplicate key, a malformed bcrypt
 * hash, an unknown TLS version, client auth type or cipher suite, a header outside the ones the
 * toolkit allows, and a missing or unreadable file are errors naming the file and the key. Two
 * deliberate differences: {@code curve_preferences} is refused (Java 17 cannot set key-exchange
 * groups per server, only for the whole JVM with {@code -Djdk.tls.namedGroups}), and the client
 * auth types that verify a certificate need {@code client_ca_file} (the toolkit would fall back to
 * the system's roots). The file is read once, at start: restart to rotate certificates or change
 * users (the toolkit re-reads it on every connection).
 */
public record WebConfig(
    Optional<Tls> tls, boolean http2, Map<String, String> headers, Map<String, String> users) {

  /** TLS as configured: PEM text, already read from the files. */
  public record Tls(
      String certPem,
      String keyPem,
      ClientAuthType clientAuth,
      Optional<String> clientCaPem,
      List<String> clientAllowedSans,
      String minVersion,
      String maxVersion,
      List<String> cipherSuites) {
    public Tls {
      Objects.requireNonNull(certPem, "certPem");
      Objects.requireNonNull(keyPem, "keyPem");
      Objects.requireNonNull(clientAuth, "clientAuth");
      Objects.requireNonNull(clientCaPem, "clientCaPem");
      clientAllowedSans = List.copyOf(clientAllowedSans);
      cipherSuites = List.copyOf(cipherSuites);
    }
  }

  /** The exporter toolkit's client auth types (Go's {@code tls.ClientAuthType}). */
  public enum ClientAuthType {
    NO_CLIENT_CERT("NoClientCert", false, false),
    REQUEST_CLIENT_CERT("RequestClientCert", false, false),
    REQUIRE_ANY_CLIENT_CERT("RequireAnyClientCert", true, false),
    VERIFY_CLIENT_CERT_IF_GIVEN("VerifyClientCertIfGiven", false, true),
    REQUIRE_AND_VERIFY_CLIENT_CERT("RequireAndVerifyClientCert", true, true);

    private final String yamlName;
    private final boolean required;
    private final boolean verified;

    ClientAuthType(String yamlName, boolean required, boolean verified) {
      this.yamlName = yamlName;
      this.required = required;
      this.verified = verified;
    }

    /** Whether a client without a certificate is refused at the handshake. */
    public boolean required() {
      return required;
    }

    /** Whether a client's certificate must chain to {@code client_ca_file}. */
    public boolean verified() {
      return verified;
    }

    /** Whether a certificate is asked for at all. */
    public boolean requested() {
      return this != NO_CLIENT_CERT;
    }

    static Optional<ClientAuthType> of(String yamlName) {
      for (ClientAuthType type : values()) {
        if (type.yamlName.equals(yamlName)) {
          return Optional.of(type);
        }
      }
      return Optional.empty();
    }
  }

  /** Response headers the exporter toolkit lets a web config set, by lower-case name. */
  private static final Map<String, String> ALLOWED_HEADERS =
      Map.of(
          "strict-transport-security", "Strict-Transport-Security",
          "x-content-type-options", "X-Content-Type-Options",
          "x-frame-options", "X-Frame-Options",
          "x-xss-protection", "X-XSS-Protection",
          "content-security-policy", "Content-Security-Policy");

  private static final Map<String, String> TLS_VERSIONS =
      Map.of("TLS10", "TLSv1", "TLS11", "TLSv1.1", "TLS12", "TLSv1.2", "TLS13", "TLSv1.3");

  private static final List<String> TLS_VERSION_ORDER =
      List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

  /** {@code $2a$}, {@code $2b$} or {@code $2y$}, a two-digit cost, 22 + 31 characters. */
  private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  public WebConfig {
    Objects.requireNonNull(tls, "tls");
    headers = Map.copyOf(headers);
    users = Map.copyOf(users);
  }

  /** No TLS, no users, no headers: what every server does without {@code --web.config.file}. */
  public static WebConfig none() {
    return new WebConfig(Optional.empty(), true, Map.of(), Map.of());
  }

  /** Whether requests must carry one of {@link #users()}' credentials. */
  public boolean requiresAuth() {
    return !users.isEmpty();
  }

  /** Reads a web config file; relative paths inside it are taken from the file's directory. */
  public static WebConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("web config " + file + ": cannot read it: " + e, e);
    }
    Path dir = file.toAbsolutePath().getParent();
    return parse(text, file.toString(), dir);
  }

  /**
   * Parses a web config's YAML.
   *
   * @param source names the config in errors
   * @param baseDir where relative file names point
   */
  public static WebConfig parse(String yaml, String source, Path baseDir) {
    FileYaml file;
    try {
      file = yaml.isBlank() ? null : YAML.readValue(yaml, FileYaml.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          "web config "
              + source
              + ": unknown key '"
              + e.getPropertyName()
              + "' at line "
              + e.getLocation().getLineNr()
              + " (known here: "
              + e.getKnownPropertyIds()
              + ")",
          e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "web config " + source + ": " + e.getOriginalMessage() + locationOf(e), e);
    }
    if (file == null) {
      return none();
    }
    Parser parser = new Parser(source, baseDir);
    Optional<Tls> tls = Optional.ofNullable(file.tls()).map(parser::tls);
    boolean http2 = true;
    Map<String, String> headers = Map.of();
    if (file.http() != null) {
      http2 = file.http().http2() == null || file.http().http2();
      headers = parser.headers(file.http().headers());
    }
    return new WebConfig(tls, http2, headers, parser.users(file.users()));
  }

  private static String locationOf(JsonProcessingException e) {
    return e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
  }

  private record Parser(String source, Path baseDir) {

    Tls tls(TlsYaml yaml) {
      if (yaml.curvePreferences() != null) {
        throw error(
            "tls_server_config.curve_preferences is not supported: Java 17 sets key-exchange"
                + " groups for the whole JVM only (-Djdk.tls.namedGroups=...)");
      }
      String cert = pem("cert", yaml.cert(), "cert_file", yaml.certFile());
      String key = pem("key", yaml.key(), "key_file", yaml.keyFile());
      if (cert == null || key == null) {
        throw error("tls_server_config needs a certificate and a key (cert_file and key_file)");
      }
      String authName = yaml.clientAuthType() == null ? "NoClientCert" : yaml.clientAuthType();
      ClientAuthType auth =
          ClientAuthType.of(authName)
              .orElseThrow(
                  () ->
                      error(
                          "tls_server_config.client_auth_type '"
                              + authName
                              + "' is not one of NoClientCert, RequestClientCert,"
                              + " RequireAnyClientCert, VerifyClientCertIfGiven,"
                              + " RequireAndVerifyClientCert"));
      Optional<String> ca =
          Optional.ofNullable(
              pem("client_ca", yaml.clientCa(), "client_ca_file", yaml.clientCaFile()));
      if (ca.isPresent() && !auth.verified()) {
        throw error(
            "tls_server_config.client_ca_file is set but client_auth_type "
                + authName
                + " does not verify client certificates (use VerifyClientCertIfGiven or"
                + " RequireAndVerifyClientCert)");
      }
      if (ca.isEmpty() && auth.verified()) {
        throw error("tls_server_config.client_auth_type " + authName + " needs client_ca_file");
      }
      List<String> sans = yaml.clientAllowedSans() == null ? List.of() : yaml.clientAllowedSans();
      if (!sans.isEmpty() && !auth.verified()) {
        throw error(
            "tls_server_config.client_allowed_sans needs a client_auth_type that verifies"
                + " certificates (VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
      }
      String min = version("min_version", yaml.minVersion(), "TLS12");
      String max = version("max_version", yaml.maxVersion(), "TLS13");
      if (TLS_VERSION_ORDER.indexOf(min) > TLS_VERSION_ORDER.indexOf(max)) {
        throw error("tls_server_config.min_version is above max_version");
      }
      List<String> suites = yaml.cipherSuites() == null ? List.of() : yaml.cipherSuites();
      Set<String> supported = TlsSupport.supportedCipherSuites();
      for (String suite : suites) {
        if (!supported.contains(suite)) {
          throw error(
              "tls_server_config.cipher_suites: '" + suite + "' is not a suite this JVM supports");
        }
      }
      return new Tls(cert, key, auth, ca, sans, min, max, suites);
    }

    private String version(String key, String value, String fallback) {
      String name = value == null ? fallback : value;
      String version = TLS_VERSIONS.get(name);
      if (version == null) {
        throw error(
            "tls_server_config."
                + key
                + " '"
                + name
                + "' is not one of TLS10, TLS11, TLS12, TLS13");
      }
      return version;
    }

    /** The PEM text given inline or in a file; null when neither is set. */
    private String pem(String inlineKey, String inline, String fileKey, String fileName) {
      if (inline != null && fileName != null) {
        throw error("tls_server_config: set " + inlineKey + " or " + fileKey + ", not both");
      }
      String text;
      String where;
      if (inline != null) {
        text = inline;
        where = "tls_server_config." + inlineKey;
      } else if (fileName != null) {
        Path path = baseDir == null ? Path.of(fileName) : baseDir.resolve(fileName);
        where = "tls_server_config." + fileKey + " " + path;
        try {
          text = Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException e) {
          throw error(where + ": cannot read it: " + e);
        }
      } else {
        return null;
      }
      if (!text.contains("-----BEGIN ")) {
        throw error(where + ": not PEM (no -----BEGIN line)");
      }
      return text;
    }

    Map<String, String> headers(Map<String, String> yaml) {
      if (yaml == null) {
        return Map.of();
      }
      Map<String, String> headers = new LinkedHashMap<>();
      for (Map.Entry<String, String> header : yaml.entrySet()) {
        String name = ALLOWED_HEADERS.get(header.getKey().toLowerCase(Locale.ROOT));
        if (name == null) {
          throw error(
              "http_server_config.headers: '"
                  + header.getKey()
                  + "' cannot be set (allowed: "
                  + String.join(", ", ALLOWED_HEADERS.values())
                  + ")");
        }
        String value = header.getValue() == null ? "" : header.getValue();
        if (value.isEmpty() || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
          throw error("http_server_config.headers." + name + ": empty or has control characters");
        }
        headers.put(name, value);
      }
      return headers;
    }

    Map<String, String> users(Map<String, String> yaml) {
      if (yaml == null) {
        return Map.of();
      }
      Map<String, String> users = new LinkedHashMap<>();
      for (Map.Entry<String, String> user : yaml.entrySet()) {
        if (user.getKey().isEmpty() || user.getKey().contains(":")) {
          throw error("basic_auth_users: user name '" + user.getKey() + "' is empty or has ':'");
        }
        if (user.getValue() == null || !BCRYPT.matcher(user.getValue()).matches()) {
          throw error(
              "basic_auth_users."
                  + user.getKey()
                  + ": not a bcrypt hash ($2a$, $2b$ or $2y$, cost, 53 characters)");
        }
        users.put(user.getKey(), user.getValue());
      }
      return users;
    }

    private IllegalArgumentException error(String message) {
      return new IllegalArgumentException("web config " + source + ": " + message);
    }
  }

  // The YAML as written; every field nullable. Jackson reports unknown keys with their line.
  record FileYaml(
      @JsonProperty("tls_server_config") TlsYaml tls,
      @JsonProperty("http_server_config") HttpYaml http,
      @JsonProperty("basic_auth_users") Map<String, String> users) {}

  record TlsYaml(
      @JsonProperty("cert_file") String certFile,
      @JsonProperty("key_file") String keyFile,
      @JsonProperty("cert") String cert,
      @JsonProperty("key") String key,
      @JsonProperty("client_auth_type") String clientAuthType,
      @JsonProperty("client_ca_file") String clientCaFile,
      @JsonProperty("client_ca") String clientCa,
      @JsonProperty("client_allowed_sans") List<String> clientAllowedSans,
      @JsonProperty("min_version") String minVersion,
      @JsonProperty("max_version") String maxVersion,
      @JsonProperty("cipher_suites") List<String> cipherSuites,
      @JsonProperty("prefer_server_cipher_suites") Boolean preferServerCipherSuites,
      @JsonProperty("curve_preferences") List<String> curvePreferences) {}

  record HttpYaml(
      @JsonProperty("http2") Boolean http2,
      @JsonProperty("headers") LinkedHashMap<String, String> headers) {}

  /** The JSSE protocol names from {@code min} to {@code max}, lowest first. */
  static List<String> versionsBetween(String min, String max) {
    return new ArrayList<>(
        TLS_VERSION_ORDER.subList(
            TLS_VERSION_ORDER.indexOf(min), TLS_VERSION_ORDER.indexOf(max) + 1));
  }
}
