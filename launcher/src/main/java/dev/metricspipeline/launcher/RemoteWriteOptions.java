package dev.metricspipeline.launcher;

import dev.metricspipeline.sink.RemoteWriteSink;
import dev.metricspipeline.sink.SinkConfig;
import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.Option;

/** {@code --remote-write-url}: the rollups also remote_written to a TSDB of the user's. */
final class RemoteWriteOptions {

  @Option(
      names = "--remote-write-url",
      paramLabel = "URL",
      description =
          "Also remote_write the rollups to this receiver (Prometheus with"
              + " --web.enable-remote-write-receiver, VictoriaMetrics, Mimir), as series named"
              + " <name>:<max|min|sum|count|last|increase>_<resolution>; user:password@ in the URL"
              + " is sent as basic auth. Env: METRICS_PIPELINE_REMOTE_WRITE_URL. Default: none")
  URI url;

  /**
   * The sender's config, reading what the store writer {@code sink} reads, or null when no URL was
   * given.
   */
  RemoteWriteSink.Config config(SinkConfig sink) {
    if (url == null) {
      return null;
    }
    URI target = url;
    String userInfo = url.getRawUserInfo();
    if (userInfo != null) {
      try {
        target =
            new URI(
                url.getScheme(),
                null,
                url.getHost(),
                url.getPort(),
                url.getPath(),
                url.getQuery(),
                null);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("--remote-write-url " + url + ": " + e.getMessage(), e);
      }
    }
    return RemoteWriteSink.Config.of(sink, target).toBuilder()
        .basicAuth(userInfo == null ? null : url.getUserInfo())
        .build();
  }
}
