package dev.metricspipeline.schemas.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How to reach a Schema Registry: one or more base URLs (tried in order when one cannot be
 * reached), optional basic auth ({@code user:password}), optional TLS, and a request timeout.
 *
 * <p>{@link #fromProperties(Map)} reads the keys Confluent's serializers use, so the same client
 * properties configure both: {@code schema.registry.url}, {@code basic.auth.user.info}, {@code
 * schema.registry.ssl.truststore.location} / {@code .password} / {@code .type} and the same for
 * {@code keystore}.
 */
public record RegistryClientConfig(
    List<URI> urls,
    Optional<String> basicAuthUserInfo,
    Optional<SSLContext> sslContext,
    Duration timeout) {

  public static final String URL = "schema.registry.url";
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
  public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
  public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
  public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
  public static final String KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
  public static final String KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
  public static final String KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
  public static final String TIMEOUT_MS = "schema.registry.request.timeout.ms";

  public RegistryClientConfig {
    Objects.requireNonNull(urls, "urls");
    if (urls.isEmpty()) {
      throw new IllegalArgumentException(URL + " must name at least one registry URL");
    }
    for (URI url : urls) {
      if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
        throw new IllegalArgumentException(
            URL + ": '" + url + "' is not an http:// or https:// URL");
      }
    }
    urls = List.copyOf(urls);
    Objects.requireNonNull(basicAuthUserInfo, "basicAuthUserInfo");
    basicAuthUserInfo.ifPresent(
        info -> {
          if (!info.contains(":")) {
            throw new IllegalArgumentException(BASIC_AUTH_USER_INFO + " must be user:password");
          }
        });
    Objects.requireNonNull(sslContext, "sslContext");
    Objects.requireNonNull(timeout, "timeout");
  }

  /** A plain-HTTP config for one or more comma-separated URLs. */
  public static RegistryClientConfig of(String urls) {
    return new RegistryClientConfig(
        parseUrls(urls), Optional.empty(), Optional.empty(), Duration.ofSeconds(30));
  }

  /** Reads Confluent-style client properties (see the class comment). */
  public static RegistryClientConfig fromProperties(Map<String, ?> props) {
    Object url = props.get(URL);
    if (url == null || url.toString().isBlank()) {
      throw new IllegalArgumentException("missing required setting " + URL);
    }
    Optional<String> userInfo =
        Optional.ofNullable(props.get(BASIC_AUTH_USER_INFO)).map(Object::toString);
    Duration timeout =
        Optional.ofNullable(props.get(TIMEOUT_MS))
            .map(v -> Duration.ofMillis(Long.parseLong(v.toString())))
            .orElse(Duration.ofSeconds(30));
    return new RegistryClientConfig(
        parseUrls(url.toString()), userInfo, sslContext(props), timeout);
  }

  private static List<URI> parseUrls(String urls) {
    List<URI> out = new ArrayList<>();
    for (String part : urls.split(",")) {
      String trimmed = part.trim();
      if (!trimmed.isEmpty()) {
        out.add(
            URI.create(
                trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed));
      }
    }
    return out;
  }

  private static Optional<SSLContext> sslContext(Map<String, ?> props) {
    Object trustLocation = props.get(TRUSTSTORE_LOCATION);
    Object keyLocation = props.get(KEYSTORE_LOCATION);
    if (trustLocation == null && keyLocation == null) {
      return Optional.empty();
    }
    try {
      TrustManagerFactory tmf = null;
      if (trustLocation != null) {
        KeyStore trust =
            load(trustLocation, props.get(TRUSTSTORE_PASSWORD), props.get(TRUSTSTORE_TYPE));
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      KeyManagerFactory kmf = null;
      if (keyLocation != null) {
        Object password = props.get(KEYSTORE_PASSWORD);
        KeyStore keys = load(keyLocation, password, props.get(KEYSTORE_TYPE));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password == null ? new char[0] : password.toString().toCharArray());
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          kmf == null ? null : kmf.getKeyManagers(),
          tmf == null ? null : tmf.getTrustManagers(),
          null);
      return Optional.of(context);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot set up TLS for the Schema Registry: " + e.getMessage(), e);
    }
  }

  private static KeyStore load(Object location, Object password, Object type)
      throws GeneralSecurityException {
    Path path = Path.of(location.toString());
    try (InputStream in = Files.newInputStream(path)) {
      KeyStore store = KeyStore.getInstance(type == null ? "PKCS12" : type.toString());
      store.load(in, password == null ? null : password.toString().toCharArray());
      return store;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read key store " + path, e);
    }
  }
}
