package dev.metricspipeline.launcher;

import dev.metricspipeline.launcher.internal.Hangup;
import dev.metricspipeline.pull.PullConfig;
import dev.metricspipeline.pull.ScrapePublisher;
import dev.metricspipeline.pull.Scraper;
import dev.metricspipeline.pull.ScraperSettings;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code metrics-pipeline scraper}: the pull side alone, against external Kafka. */
@Command(
    name = "scraper",
    mixinStandardHelpOptions = true,
    description = {
      "Scrapes the targets of a Prometheus scrape config file and publishes their samples (with"
          + " up, scrape_* and staleness markers) to metrics.samples. Instances with the same"
          + " --group-id share the targets; SIGHUP or POST /-/reload re-reads the file."
    })
public final class ScraperCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--scrape-config",
      required = true,
      paramLabel = "FILE",
      description =
          "A Prometheus config file (global + scrape_configs; other sections are ignored). Env:"
              + " METRICS_PIPELINE_SCRAPE_CONFIG")
  Path scrapeConfig;

  @Option(
      names = "--listen-address",
      defaultValue = "0.0.0.0",
      paramLabel = "HOST",
      description =
          "Address of /metrics, /api/v1/targets, /-/reload. Env: METRICS_PIPELINE_LISTEN_ADDRESS."
              + " Default: ${DEFAULT-VALUE}")
  String listenAddress;

  @Option(
      names = "--port",
      defaultValue = "9094",
      paramLabel = "PORT",
      description = "Its port. Env: METRICS_PIPELINE_PORT. Default: ${DEFAULT-VALUE}")
  int port;

  @Option(
      names = "--group-id",
      defaultValue = "metrics-pipeline-scraper",
      paramLabel = "ID",
      description =
          "Consumer group the instances share targets through. Env: METRICS_PIPELINE_GROUP_ID."
              + " Default: ${DEFAULT-VALUE}")
  String groupId;

  @Option(
      names = "--coordination-topic",
      defaultValue = "metrics.scrape-shards",
      paramLabel = "TOPIC",
      description =
          "The (empty) topic whose partitions are the shards of targets. Env:"
              + " METRICS_PIPELINE_COORDINATION_TOPIC. Default: ${DEFAULT-VALUE}")
  String coordinationTopic;

  @Option(
      names = "--replica",
      paramLabel = "NAME",
      description =
          "HA mode: label every sample __replica__=NAME; run a second group with another name"
              + " scraping the same targets and the streams stage keeps one sample per interval."
              + " Env: METRICS_PIPELINE_REPLICA")
  String replica;

  @Option(
      names = "--session-timeout-ms",
      defaultValue = "10000",
      paramLabel = "MS",
      description =
          "How soon a dead instance's targets move to the others. Env:"
              + " METRICS_PIPELINE_SESSION_TIMEOUT_MS. Default: ${DEFAULT-VALUE}")
  int sessionTimeoutMs;

  @Mixin SampleTimeOptions sampleTime;

  @Mixin WebOptions webOptions;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Fail fast, with file and line, before connecting anywhere.
    SettingFlags.file(spec, "--scrape-config", () -> PullConfig.load(scrapeConfig));
    ScraperSettings settings =
        new SettingFlags(
                spec,
                Map.of(
                    "host", "--listen-address",
                    "port", "--port",
                    "sessionTimeoutMs", "--session-timeout-ms"))
            .build(
                () ->
                    ScraperSettings.defaults()
                        .withListen(listenAddress, port)
                        .withReplica(replica)
                        .withCoordination(
                            new ScraperSettings.Coordination(
                                kafka.connection(),
                                coordinationTopic,
                                groupId,
                                32,
                                sessionTimeoutMs))
                        .withTimestamps(sampleTime.timestamps())
                        .withWeb(webOptions.web()));
    MetricsPublisher publisher =
        MetricsPublisher.start(
            PublisherConfig.defaults(kafka.connection(), kafka.registry())
                .withTimestamps(sampleTime.timestamps())
                .withTransactionalId("metrics-pipeline-scraper-" + UUID.randomUUID()));
    Scraper scraper =
        Scraper.start(
            settings,
            () -> PullConfig.load(scrapeConfig),
            ScrapePublisher.of(publisher),
            publisher.seriesKey(),
            meters);
    Hangup.onHangup(scraper::reload);
    Shutdown.closeOnSignal(
        () -> {
          scraper.close();
          publisher.close();
        });
    return 0;
  }
}
