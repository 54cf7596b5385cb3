package dev.metricspipeline.launcher;

import dev.metricspipeline.push.PushGateway;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code metrics-pipeline push-gateway}: the push gateway alone, against external Kafka. */
@Command(
    name = "push-gateway",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the Pushgateway-compatible push endpoint alone against an external Kafka and Schema"
          + " Registry. Several instances may share the work behind a load balancer."
    })
public final class PushGatewayCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--listen-address",
      defaultValue = "0.0.0.0",
      paramLabel = "HOST",
      description =
          "Address to listen on. Env: METRICS_PIPELINE_LISTEN_ADDRESS. Default: ${DEFAULT-VALUE}")
  String listenAddress;

  @Option(
      names = "--port",
      defaultValue = "9091",
      paramLabel = "PORT",
      description = "Port. Env: METRICS_PIPELINE_PORT. Default: ${DEFAULT-VALUE}")
  int port;

  @Option(
      names = "--group-ttl",
      paramLabel = "DURATION",
      description =
          "Delete push groups not pushed for this long (ISO-8601, e.g. PT1H), ending their series."
              + " Env: METRICS_PIPELINE_GROUP_TTL. Default: never.")
  Duration groupTtl;

  @Option(
      names = "--memo-series",
      defaultValue = "" + PushGatewayConfig.DEFAULT_MEMO_SERIES,
      paramLabel = "N",
      description =
          "Series the per-group memos may hold together (~0.8 kB each; a group pushed again with a"
              + " memo skips re-working its series); 0 for none. Env:"
              + " METRICS_PIPELINE_MEMO_SERIES. Default: ${DEFAULT-VALUE}")
  int memoSeries;

  @Option(
      names = "--instance-id",
      paramLabel = "ID",
      description =
          "Stable, unique id of this instance, used as the Kafka transactional id so a restart aborts"
              + " the previous run's open transaction at once. Env: METRICS_PIPELINE_INSTANCE_ID."
              + " Default: a random id.")
  String instanceId;

  @Mixin SampleTimeOptions sampleTime;

  @Mixin WebOptions webOptions;

  @Mixin OtlpOptions otlp;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    PublisherConfig publisherConfig =
        PublisherConfig.defaults(kafka.connection(), kafka.registry())
            .withTimestamps(sampleTime.timestamps());
    if (instanceId != null) {
      publisherConfig = publisherConfig.withTransactionalId("metrics-push-" + instanceId);
    }
    PushGatewayConfig config =
        new SettingFlags(
                spec,
                Map.of(
                    "host", "--listen-address",
                    "port", "--port",
                    "groupTtl", "--group-ttl",
                    "memoSeries", "--memo-series"))
            .and(OtlpOptions.FLAGS)
            .build(
                () ->
                    PushGatewayConfig.defaults()
                        .withListen(listenAddress, port)
                        .withGroupTtl(Optional.ofNullable(groupTtl))
                        .withMemoSeries(memoSeries)
                        .withTimestamps(sampleTime.timestamps())
                        .withWeb(webOptions.web())
                        .withOtlp(otlp.config()));
    MetricsPublisher publisher = MetricsPublisher.start(publisherConfig);
    PushGateway gateway;
    try {
      gateway = PushGateway.start(config, publisher, publisherConfig.kafka());
    } catch (RuntimeException e) {
      publisher.close();
      throw e;
    }
    Shutdown.closeOnSignal(
        () -> {
          gateway.close();
          publisher.close();
        });
    return 0;
  }
}
