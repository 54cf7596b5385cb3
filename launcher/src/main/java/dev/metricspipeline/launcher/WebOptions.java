package dev.metricspipeline.launcher;

import dev.metricspipeline.http.WebConfig;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --web.config.file}: Prometheus' web config, for every HTTP server a command starts. */
final class WebOptions {

  /** The command this is mixed into, whose usage a bad file is reported with. */
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

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
    return webConfigFile == null
        ? WebConfig.none()
        : SettingFlags.file(command, "--web.config.file", () -> WebConfig.load(webConfigFile));
  }
}
