package dev.metricspipeline.testkit;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's peers as real processes: {@code prometheus} and {@code prometheus-node-exporter}. In CI
 * they must be there (a test fails); elsewhere a test that needs one skips.
 */
public final class PrometheusProcess implements AutoCloseable {

  private final Process process;
  private final String url;

  private PrometheusProcess(Process process, String url) {
    this.process = process;
    this.url = url;
  }

  /** The path of {@code name} on the PATH; fails in CI and skips the test elsewhere if absent. */
  public static Path binary(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    if ("true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("CI must install Debian's " + name + " (.ci/run does)");
    }
    Assumptions.abort("no " + name + " on the PATH: apt-get install it to run this test");
    return null;
  }

  /** Debian's prometheus binary. */
  public static Path binary() {
    return binary("prometheus");
  }

  /** A port free right now on 127.0.0.1. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Starts Prometheus with {@code config} (YAML), its data in {@code dir}. */
  public static PrometheusProcess start(Path dir, String config) throws IOException {
    return start(dir, config, freePort());
  }

  /**
   * Starts Prometheus listening on {@code port}: for a config that names Prometheus's own address
   * (a job scraping Prometheus itself), or that must take a port chosen earlier; {@code flags} are
   * added to its command line (e.g. {@code --web.enable-remote-write-receiver}).
   */
  public static PrometheusProcess start(Path dir, String config, int port, String... flags)
      throws IOException {
    Path binary = binary();
    Path file = dir.resolve("prometheus.yml");
    Files.writeString(file, config);
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                binary.toString(),
                "--config.file=" + file,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port));
    command.addAll(List.of(flags));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    return new PrometheusProcess(process, "http://127.0.0.1:" + port);
  }

  /**
   * Starts Debian's node_exporter on {@code port} with the collectors given (all defaults but
   * systemd if none), its log in {@code dir}.
   */
  public static PrometheusProcess nodeExporter(Path dir, int port, String... flags)
      throws IOException {
    List<String> command = new java.util.ArrayList<>();
    command.add(binary("prometheus-node-exporter").toString());
    command.add("--web.listen-address=127.0.0.1:" + port);
    command.addAll(flags.length == 0 ? List.of("--no-collector.systemd") : List.of(flags));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("node_exporter.log").toFile())
            .start();
    return new PrometheusProcess(process, "http://127.0.0.1:" + port);
  }

  /** Where it listens, e.g. {@code http://127.0.0.1:9090}. */
  public String url() {
    return url;
  }

  public boolean isAlive() {
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
