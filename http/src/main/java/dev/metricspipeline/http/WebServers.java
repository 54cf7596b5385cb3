package dev.metricspipeline.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Starts our HTTP servers behind a {@link WebConfig}: every server (push gateway, query API,
 * scraper, schema registry, operations endpoints) listens through here, so one web config file
 * locks all of their doors the same way.
 *
 * <p>Without TLS a server speaks HTTP/1.1 only (a JDK HttpClient's clear-text HTTP/2 upgrade once
 * went unanswered); with TLS it offers HTTP/2 by ALPN unless {@code http2: false}. Configured
 * headers go on every response, 401s included.
 */
public final class WebServers {

  private WebServers() {}

  /**
   * Listens on {@code host:port} (port 0: any free one) with {@code handler} behind the config's
   * TLS, basic auth and headers.
   */
  public static Future<HttpServer> listen(
      Vertx vertx, WebConfig config, String host, int port, Handler<HttpServerRequest> handler) {
    return listen(vertx, config, host, port, handler, options -> {});
  }

  /**
   * Listens like {@link #listen} for gRPC: HTTP/2 always, cleartext (h2c, prior knowledge) without
   * TLS and by ALPN with it; the same basic auth and headers.
   */
  public static Future<HttpServer> listenHttp2(
      Vertx vertx, WebConfig config, String host, int port, Handler<HttpServerRequest> handler) {
    return listen(
        vertx,
        config,
        host,
        port,
        handler,
        options -> {
          if (config.tls().isPresent()) {
            options
                .setUseAlpn(true)
                .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
          } else {
            options.setHttp2ClearTextEnabled(true);
          }
        });
  }

  private static Future<HttpServer> listen(
      Vertx vertx,
      WebConfig config,
      String host,
      int port,
      Handler<HttpServerRequest> handler,
      Consumer<HttpServerOptions> adjust) {
    HttpServerOptions options;
    try {
      options = options(config);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    adjust.accept(options);
    return vertx
        .createHttpServer(options)
        .requestHandler(guard(vertx, config, handler))
        .listen(port, host);
  }

  public static String url(WebConfig config, String host, int port) {
    String reachable = "0.0.0.0".equals(host) || "::".equals(host) ? "127.0.0.1" : host;
    if (reachable.contains(":") && !reachable.startsWith("[")) {
      reachable = "[" + reachable + "]";
    }
    return (config.tls().isPresent() ? "https://" : "http://") + reachable + ":" + port;
  }

  static HttpServerOptions options(WebConfig config) {
    HttpServerOptions options = new HttpServerOptions().setHttp2ClearTextEnabled(false);
    if (config.tls().isEmpty()) {
      return options;
    }
    WebConfig.Tls tls = config.tls().get();
    options
        .setSsl(true)
        .setKeyCertOptions(
            new PemKeyCertOptions()
                .setCertValue(Buffer.buffer(tls.certPem()))
                .setKeyValue(Buffer.buffer(tls.keyPem())))
        .setEnabledSecureTransportProtocols(
            new LinkedHashSet<>(WebConfig.versionsBetween(tls.minVersion(), tls.maxVersion())));
    if (tls.clientAuth().requested()) {
      options
          .setClientAuth(tls.clientAuth().required() ? ClientAuth.REQUIRED : ClientAuth.REQUEST)
          .setTrustOptions(TrustOptions.wrap(TlsSupport.clientTrust(tls)));
    }
    if (!tls.cipherSuites().isEmpty()) {
      Set<String> suites = new LinkedHashSet<>(tls.cipherSuites());
      if ("TLSv1.3".equals(tls.maxVersion())) {
        suites.addAll(TlsSupport.TLS13_SUITES);
      }
      suites.forEach(options::addEnabledCipherSuite);
    }
    if (config.http2()) {
      options.setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
    }
    return options;
  }

  private static Handler<HttpServerRequest> guard(
      Vertx vertx, WebConfig config, Handler<HttpServerRequest> handler) {
    Handler<HttpServerRequest> inner =
        config.requiresAuth() ? new BasicAuthDoor(vertx, config.users(), handler) : handler;
    Map<String, String> headers = config.headers();
    if (headers.isEmpty()) {
      return inner;
    }
    return request -> {
      headers.forEach(request.response()::putHeader);
      inner.handle(request);
    };
  }
}
