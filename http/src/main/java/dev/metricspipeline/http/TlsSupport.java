package dev.metricspipeline.http;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** The JSSE side of {@link WebConfig.Tls}: supported suites and the client-certificate check. */
final class TlsSupport {

  /** TLS 1.3's suites: Go does not let {@code cipher_suites} touch them, so neither do we. */
  static final List<String> TLS13_SUITES =
      List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

  private TlsSupport() {}

  static Set<String> supportedCipherSuites() {
    try {
      return Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no default TLS context", e);
    }
  }

  /**
   * How client certificates are judged: against {@code client_ca_file} when the auth type verifies,
   * else accepted as presented (Go's RequestClientCert and RequireAnyClientCert do not verify);
   * then the leaf must carry one of {@code client_allowed_sans}, when there are any.
   */
  static TrustManager clientTrust(WebConfig.Tls tls) {
    X509ExtendedTrustManager chain =
        tls.clientCaPem().map(TlsSupport::trusting).orElseGet(AcceptAny::new);
    return new AllowedSans(chain, tls.clientAllowedSans());
  }

  private static X509ExtendedTrustManager trusting(String caPem) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      Collection<? extends Certificate> cas =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)));
      if (cas.isEmpty()) {
        throw new IllegalArgumentException("client_ca_file holds no certificate");
      }
      int i = 0;
      for (Certificate ca : cas) {
        store.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JVM's trust manager factory made no X.509 manager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalArgumentException("client_ca_file: not usable as CA certificates: " + e, e);
    }
  }

  /** Go's RequestClientCert / RequireAnyClientCert: a certificate is taken, never verified. */
  private static final class AcceptAny extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a server's door does not judge servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a server's door does not judge servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a server's door does not judge servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** The chain check, then the toolkit's {@code client_allowed_sans} on the leaf. */
  private static final class AllowedSans extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager chain;
    private final List<String> allowed;

    AllowedSans(X509ExtendedTrustManager chain, List<String> allowed) {
      this.chain = chain;
      this.allowed = allowed;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, Socket socket)
        throws CertificateException {
      chain.checkClientTrusted(certs, authType, socket);
      checkSans(certs);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, SSLEngine engine)
        throws CertificateException {
      chain.checkClientTrusted(certs, authType, engine);
      checkSans(certs);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType)
        throws CertificateException {
      chain.checkClientTrusted(certs, authType);
      checkSans(certs);
    }

    private void checkSans(X509Certificate[] certs) throws CertificateException {
      if (allowed.isEmpty()) {
        return;
      }
      if (certs == null || certs.length == 0) {
        throw new CertificateException("no client certificate to match client_allowed_sans");
      }
      Collection<List<?>> names;
      try {
        names = certs[0].getSubjectAlternativeNames();
      } catch (CertificateParsingException e) {
        throw new CertificateException("client certificate's SANs cannot be read: " + e, e);
      }
      if (names != null) {
        for (List<?> name : names) {
          // Entries are [type, value]; DNS (2), email (1), URI (6) and IP (7) are strings.
          if (name.size() == 2 && name.get(1) instanceof String value && allowed.contains(value)) {
            return;
          }
        }
      }
      throw new CertificateException(
          "client certificate "
              + certs[0].getSubjectX500Principal()
              + " has none of the SANs "
              + allowed);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, Socket socket)
        throws CertificateException {
      chain.checkServerTrusted(certs, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, SSLEngine engine)
        throws CertificateException {
      chain.checkServerTrusted(certs, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType)
        throws CertificateException {
      chain.checkServerTrusted(certs, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return chain.getAcceptedIssuers();
    }
  }
}
