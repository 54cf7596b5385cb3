package dev.metricspipeline.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * Basic auth against {@code basic_auth_users}' bcrypt hashes, before any route sees the request:
 * without a matching {@code Authorization: Basic} header the answer is 401 with {@code
 * WWW-Authenticate: Basic} and the body is never read.
 *
 * <p>A bcrypt check costs tens of milliseconds by design, so it never runs on an event loop: it
 * runs on a worker pool of its own (two threads, so a flood of wrong passwords cannot take the pool
 * the routes use), while the request waits paused. The outcome is remembered per user and password
 * (a SHA-256 of both, never the password itself; the last 1,000), so a scraper or a job that sends
 * the same credentials every time pays the cost once. An unknown user costs a check against a fixed
 * hash too, so timing does not tell which users exist.
 */
final class BasicAuthDoor implements Handler<HttpServerRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(BasicAuthDoor.class);
  private static final int REMEMBERED = 1000;

  private final Map<String, String> users;
  private final Handler<HttpServerRequest> next;
  private final WorkerExecutor checks;
  private final Map<String, Boolean> outcomes =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED;
        }
      };

  BasicAuthDoor(Vertx vertx, Map<String, String> users, Handler<HttpServerRequest> next) {
    this.users = users;
    this.next = next;
    this.checks = vertx.createSharedWorkerExecutor("metrics-pipeline-basic-auth", 2);
  }

  @Override
  public void handle(HttpServerRequest request) {
    String[] credentials = credentials(request.getHeader("Authorization"));
    if (credentials == null) {
      refuse(request);
      return;
    }
    String key = key(credentials[0], credentials[1]);
    Boolean known;
    synchronized (outcomes) {
      known = outcomes.get(key);
    }
    if (known != null) {
      pass(request, known);
      return;
    }
    request.pause();
    checks
        .executeBlocking(() -> matches(credentials[0], credentials[1]), false)
        .onComplete(
            result -> {
              boolean ok = result.succeeded() && result.result();
              if (result.failed()) {
                LOG.warn("A basic auth check failed: {}", result.cause().toString());
              } else {
                synchronized (outcomes) {
                  outcomes.put(key, ok);
                }
              }
              // Resume before the routes run: they attach their body handlers synchronously and
              // the buffered body is only delivered on a later turn of the event loop.
              request.resume();
              pass(request, ok);
            });
  }

  private void pass(HttpServerRequest request, boolean ok) {
    if (ok) {
      next.handle(request);
    } else {
      LOG.debug(
          "Refused {} {} from {}: wrong credentials",
          request.method(),
          request.path(),
          request.remoteAddress());
      refuse(request);
    }
  }

  private boolean matches(String user, String password) {
    String hash = users.get(user);
    if (hash == null) {
      BCrypt.checkpw(password, Dummy.HASH);
      return false;
    }
    return BCrypt.checkpw(password, hash);
  }

  private static void refuse(HttpServerRequest request) {
    request
        .response()
        .setStatusCode(401)
        .putHeader("WWW-Authenticate", "Basic")
        .putHeader("Content-Type", "text/plain; charset=utf-8")
        .end("Unauthorized\n");
  }

  /** User and password from {@code Basic base64(user:password)}; null when absent or malformed. */
  static String[] credentials(String header) {
    if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    return colon < 0
        ? null
        : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
  }

  private static String key(String user, String password) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(user.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(password.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** A hash of nothing anyone knows, for unknown users; made on first use, off the event loop. */
  private static final class Dummy {
    static final String HASH = BCrypt.hashpw("not a password", BCrypt.gensalt(10));
  }
}
