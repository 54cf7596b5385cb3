package dev.metricspipeline.launcher;

import dev.metricspipeline.http.WebConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --web.config.file}: Prometheus' web config, for every HTTP server a command starts. */
final class WebOptions {

  @Option(
      names = "--web.config.file",
      paramLabel = "FILE",
      description =
          "A Prometheus web config (tls_server_config, basic_auth_users, http_server_config) for"
              + " this command's HTTP servers: the same file a Prometheus or Pushgateway takes."
              + " Env: METRICS_PIPELINE_WEB_CONFIG_FILE")
  Path webConfigFile;

  /** The parsed file, or no TLS and no auth without one; a bad file fails the command at start. */
  WebConfig web() {
    return webConfigFile == null ? WebConfig.none() : WebConfig.load(webConfigFile);
  }
}
