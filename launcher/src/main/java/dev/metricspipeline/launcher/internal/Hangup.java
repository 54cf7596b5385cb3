package dev.metricspipeline.launcher.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action on SIGHUP, the Prometheus way to ask for a config reload. Uses {@code
 * sun.misc.Signal} (module jdk.unsupported) through reflection, so the build's {@code -Werror} does
 * not trip on the internal API; where it is missing, SIGHUP is not handled (logged) and {@code POST
 * /-/reload} remains.
 */
public final class Hangup {

  private static final Logger LOG = LoggerFactory.getLogger(Hangup.class);

  private Hangup() {}

  public static void onHangup(Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object hup = signal.getConstructor(String.class).newInstance("HUP");
      InvocationHandler invoke =
          (proxy, method, args) -> {
            if (method.getName().equals("handle")) {
              try {
                action.run();
              } catch (RuntimeException e) {
                LOG.error("Reload on SIGHUP failed: {}", e.getMessage());
              }
            }
            return null;
          };
      Object proxy =
          Proxy.newProxyInstance(Hangup.class.getClassLoader(), new Class<?>[] {handler}, invoke);
      signal.getMethod("handle", signal, handler).invoke(null, hup, proxy);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("SIGHUP cannot be handled here ({}); use POST /-/reload", e.toString());
    }
  }
}
