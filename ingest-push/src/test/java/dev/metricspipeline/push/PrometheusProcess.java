package dev.metricspipeline.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Debian's prometheus binary as a real peer. In CI it must be there; elsewhere a test skips. */
final class PrometheusProcess implements AutoCloseable {

  private final Process process;

  private PrometheusProcess(Process process) {
    this.process = process;
  }

  static Path binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "prometheus");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    assertThat(System.getenv("CI"))
        .as("CI must install Debian's prometheus (.ci/run does)")
        .isNotEqualTo("true");
    Assumptions.abort(
        "no prometheus binary on the PATH: apt-get install prometheus to run this test");
    return null;
  }

  /** Starts Prometheus with {@code config} (YAML), its data in {@code dir}. */
  static PrometheusProcess start(Path dir, String config) throws IOException {
    Path binary = binary();
    Path file = dir.resolve("prometheus.yml");
    Files.writeString(file, config);
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Process process =
        new ProcessBuilder(
                List.of(
                    binary.toString(),
                    "--config.file=" + file,
                    "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    return new PrometheusProcess(process);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
