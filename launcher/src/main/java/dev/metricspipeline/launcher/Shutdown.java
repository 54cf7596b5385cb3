package dev.metricspipeline.launcher;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs until Ctrl-C or SIGTERM, then stops what was started. The JVM's shutdown hook only signals
 * and then waits (up to a minute) for the stop to finish, so the JVM does not exit halfway through
 * a clean stop.
 */
final class Shutdown {
  private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);

  private Shutdown() {}

  /** Blocks until the JVM is asked to stop, then closes {@code running}. */
  static void closeOnSignal(AutoCloseable running) throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  try {
                    stopped.await(60, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "metrics-pipeline-shutdown"));
    try {
      stop.await();
      LOG.info("Stopping");
    } finally {
      try {
        running.close();
      } catch (Exception e) {
        LOG.warn("Stopping failed: {}", e.toString());
      }
      stopped.countDown();
    }
  }
}
