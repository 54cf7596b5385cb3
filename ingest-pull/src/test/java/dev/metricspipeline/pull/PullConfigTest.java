package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PullConfigTest {

  private static PullConfig parse(String yaml) {
    return PullConfig.parse(yaml, "prometheus.yml", Path.of("/etc/prometheus"));
  }

  @Test
  void theSeedConfigLoadsWithPrometheusDefaults() {
    PullConfig c =
        parse(
            "scrape_configs: [{job_name: 'my_app', static_configs: [{targets: ['my_app:9100']}]}]");
    assertThat(c.scrapeInterval()).isEqualTo(Duration.ofMinutes(1));
    PullConfig.ScrapeJob job = c.jobs().get(0);
    assertThat(job.jobName()).isEqualTo("my_app");
    assertThat(job.scrapeInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(job.scrapeTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(job.metricsPath()).isEqualTo("/metrics");
    assertThat(job.scheme()).isEqualTo("http");
    assertThat(job.honorLabels()).isFalse();
    assertThat(job.honorTimestamps()).isTrue();
    Target t = Target.of(job, "my_app:9100", Map.of());
    assertThat(t.url()).isEqualTo("http://my_app:9100/metrics");
    assertThat(t.labels()).isEqualTo(Map.of("job", "my_app", "instance", "my_app:9100"));
  }

  @Test
  void aFullPrometheusFileWithSectionsWeIgnore() {
    PullConfig c =
        parse(
            """
            global:
              scrape_interval: 15s
              evaluation_interval: 15s
              external_labels: {cluster: eu1}
            rule_files: ["rules/*.yml"]
            alerting:
              alertmanagers: [{static_configs: [{targets: ['am:9093']}]}]
            remote_write: [{url: 'http://x/api/v1/write'}]
            scrape_configs:
              - job_name: blackbox
                scrape_interval: 30s
                scrape_timeout: 5s
                metrics_path: /probe
                scheme: https
                params: {module: [http_2xx]}
                honor_labels: true
                honor_timestamps: false
                basic_auth: {username: u, password_file: secret.txt}
                tls_config: {insecure_skip_verify: true}
                sample_limit: 1000
                label_limit: 30
                label_name_length_limit: 100
                label_value_length_limit: 200
                body_size_limit: 10MB
                target_limit: 50
                static_configs:
                  - targets: ['https://example.org'.replace]
                relabel_configs:
                  - source_labels: [__address__]
                    target_label: __param_target
                  - source_labels: [__param_target]
                    target_label: instance
                  - target_label: __address__
                    replacement: 127.0.0.1:9115
                metric_relabel_configs:
                  - source_labels: [__name__]
                    regex: 'go_.*'
                    action: drop
              - job_name: files
                file_sd_configs:
                  - files: ['targets/*.json']
                    refresh_interval: 1m
            """
                .replace("'https://example.org'.replace", "'example.org'"));
    assertThat(c.externalLabels()).isEqualTo(Map.of("cluster", "eu1"));
    PullConfig.ScrapeJob bb = c.jobs().get(0);
    assertThat(bb.scrapeInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(bb.bodySizeLimit()).isEqualTo(10L << 20);
    assertThat(bb.basicAuth().passwordFile()).isEqualTo(Path.of("/etc/prometheus/secret.txt"));
    Target t = Target.of(bb, "example.org", Map.of());
    assertThat(t.url())
        .isEqualTo("https://127.0.0.1:9115/probe?module=http_2xx&target=example.org");
    assertThat(t.labels()).isEqualTo(Map.of("job", "blackbox", "instance", "example.org"));
    assertThat(t.interval()).isEqualTo(Duration.ofSeconds(30));
    PullConfig.ScrapeJob files = c.jobs().get(1);
    assertThat(files.scrapeInterval()).as("from global").isEqualTo(Duration.ofSeconds(15));
    assertThat(files.fileSdConfigs().get(0).files())
        .containsExactly("/etc/prometheus/targets/*.json");
  }

  @Test
  void relabelingCanSetTheIntervalAndDropTargets() {
    PullConfig c =
        parse(
            """
            scrape_configs:
              - job_name: j
                scrape_interval: 10s
                static_configs: [{targets: ['a:1', 'b:2'], labels: {env: prod}}]
                relabel_configs:
                  - source_labels: [__address__]
                    regex: 'b:.*'
                    action: drop
                  - target_label: __scrape_interval__
                    replacement: 5s
                  - target_label: __scrape_timeout__
                    replacement: 2s
            """);
    PullConfig.ScrapeJob job = c.jobs().get(0);
    assertThat(Target.of(job, "b:2", Map.of("env", "prod"))).isNull();
    Target a = Target.of(job, "a:1", Map.of("env", "prod"));
    assertThat(a.interval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(a.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(a.labels()).containsEntry("env", "prod");
    assertThat(a.discoveredLabels()).containsEntry("__scrape_interval__", "10s");
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'scrape_configs:\\n  - job_name: a\\n    scrape_intervall: 1s' | prometheus.yml:3: unknown key 'scrape_intervall' (known here: [",
        "'scrape_configs:\\n  - job_name: a\\n    kubernetes_sd_configs: []' | prometheus.yml:3: key 'kubernetes_sd_configs' is Prometheus's but this scraper does not support it",
        "'globals: {}' | prometheus.yml:1: unknown key 'globals'",
        "'scrape_configs:\\n  - job_name: a\\n  - job_name: a' | prometheus.yml: found multiple scrape configs with job name \"a\"",
        "'scrape_configs:\\n  - job_name: a\\n    scrape_interval: 5s\\n    scrape_timeout: 10s' | prometheus.yml: scrape timeout greater than scrape interval for scrape config with job name \"a\"",
        "'scrape_configs:\\n  - job_name: a\\n    scrape_interval: 5x' | prometheus.yml: scrape config \"a\": scrape_interval: not a valid duration string: \"5x\"",
        "'scrape_configs:\\n  - job_name: a\\n    relabel_configs: [{action: hashmod, source_labels: [x], target_label: y}]' | prometheus.yml: scrape config \"a\": relabel_configs[0]: relabel configuration for hashmod requires non-zero modulus",
        "'scrape_configs:\\n  - job_name: a\\n    scheme: ftp' | prometheus.yml: scrape config \"a\": unknown scheme \"ftp\" (http or https)",
        "'scrape_configs:\\n  - job_name: a\\n    body_size_limit: lots' | prometheus.yml: scrape config \"a\": body_size_limit: not a valid size: \"lots\"",
        "'scrape_configs:\\n  - job_name: a\\n    static_configs: [{targets: [\"h:1/metrics\"]}]' | prometheus.yml: scrape config \"a\": \"h:1/metrics\" is not a valid hostname (host:port, no path)",
        "'scrape_configs:\\n  - job_name: a\\n    basic_auth: {username: u, password: p}\\n    authorization: {credentials: t}' | prometheus.yml: scrape config \"a\": at most one of basic_auth, oauth2 & authorization must be configured",
        "'scrape_configs:\\n  - scrape_interval: 1s' | prometheus.yml: job_name is empty",
      })
  void errorFixturesGiveTheExactMessage(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml.replace("\\n", "\n")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void anEmptyFileHasNoJobs() {
    assertThat(parse("").jobs()).isEmpty();
    assertThat(parse("global: {scrape_interval: 15s}").jobs()).isEqualTo(List.of());
  }
}
