package dev.metricspipeline.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed keys for TLS tests, made by the JDK's own {@code keytool} (no test-only crypto
 * library): a PKCS#12 store plus the same certificate and key as PEM files.
 */
public final class TestCertificates {

  /** The password of every store made here. */
  public static final String PASSWORD = "changeit";

  private TestCertificates() {}

  /** One key: {@code alias.p12}, {@code alias.crt} and {@code alias.key} (PKCS#8) in a dir. */
  public record Key(Path store, Path certPem, Path keyPem) {}

  /**
   * Makes a 2048-bit RSA key whose self-signed certificate names {@code sans} (keytool syntax, for
   * example {@code dns:localhost,ip:127.0.0.1}); the first SAN's value is also the CN.
   */
  public static Key make(Path dir, String alias, String sans) {
    Path store = dir.resolve(alias + ".p12");
    try {
      String first = sans.split(",")[0];
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                  "-genkeypair",
                  "-keyalg",
                  "RSA",
                  "-keysize",
                  "2048",
                  "-validity",
                  "2",
                  "-alias",
                  alias,
                  "-dname",
                  "CN=" + first.substring(first.indexOf(':') + 1),
                  "-ext",
                  "SAN=" + sans,
                  "-storetype",
                  "PKCS12",
                  "-keystore",
                  store.toString(),
                  "-storepass",
                  PASSWORD)
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool failed for " + alias + ": " + out);
      }
      KeyStore ks = load(store);
      Path cert = dir.resolve(alias + ".crt");
      Path key = dir.resolve(alias + ".key");
      Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate(alias).getEncoded()));
      PrivateKey privateKey = (PrivateKey) ks.getKey(alias, PASSWORD.toCharArray());
      Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()));
      return new Key(store, cert, key);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a test key " + alias + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making a test key", e);
    }
  }

  /**
   * A client's TLS context that trusts {@code trusted}'s certificate and, when {@code own} is not
   * null, presents {@code own}'s key.
   */
  public static SSLContext clientContext(Key trusted, Key own) {
    try {
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(load(trusted.store()));
      KeyManagerFactory kmf = null;
      if (own != null) {
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(own.store()), PASSWORD.toCharArray());
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a TLS context: " + e, e);
    }
  }

  private static KeyStore load(Path store) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    return ks;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
