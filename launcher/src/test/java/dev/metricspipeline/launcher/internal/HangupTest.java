package dev.metricspipeline.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** SIGHUP sent to this very JVM runs the reload action (and does not stop the JVM). */
class HangupTest {

  @Test
  void aHangupSignalRunsTheAction() throws Exception {
    CountDownLatch reloaded = new CountDownLatch(2);
    Hangup.onHangup(reloaded::countDown);
    long pid = ProcessHandle.current().pid();
    for (int i = 0; i < 2; i++) {
      Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).inheritIO().start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(kill.exitValue()).isZero();
    }
    assertThat(reloaded.await(10, TimeUnit.SECONDS)).as("both signals handled").isTrue();
  }
}
