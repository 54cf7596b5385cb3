package dev.metricspipeline.launcher;

import dev.metricspipeline.embedded.EmbeddedKafka;
import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.launcher.internal.Hangup;
import dev.metricspipeline.launcher.internal.OpsServer;
import dev.metricspipeline.launcher.internal.PipelineTopics;
import dev.metricspipeline.launcher.internal.StatusLine;
import dev.metricspipeline.normalizer.KafkaSource;
import dev.metricspipeline.normalizer.Normalizer;
import dev.metricspipeline.pull.PullConfig;
import dev.metricspipeline.pull.ScrapePublisher;
import dev.metricspipeline.pull.Scraper;
import dev.metricspipeline.pull.ScraperSettings;
import dev.metricspipeline.push.PushGateway;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.runtime.Checks;
import dev.metricspipeline.runtime.TopicAdmin;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleBatch;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.sink.JdbcRollupStore;
import dev.metricspipeline.sink.RemoteWriteSink;
import dev.metricspipeline.sink.RollupSink;
import dev.metricspipeline.sink.SinkConfig;
import dev.metricspipeline.streams.StreamsApp;
import dev.metricspipeline.streams.StreamsSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code metrics-pipeline run}: the whole pipeline in one JVM: embedded Kafka and Schema Registry,
 * the topics and schemas, the push gateway, the scraper (its own {@code /metrics} unless {@code
 * --scrape-config} says otherwise), the Kafka-topic normalizer, the streams stage (dedup and
 * rollups) and the sink (SQLite) with its query API. Data lives in {@code --data-dir}; running
 * again resumes on it. Ctrl-C or SIGTERM stops everything in reverse order.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the pipeline in this JVM on an embedded Kafka and Schema Registry, with its data in"
          + " --data-dir. Stops cleanly on Ctrl-C; running it again resumes on the same data."
    })
public final class RunCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Spec CommandSpec spec;

  @Option(
      names = "--data-dir",
      defaultValue = "./data",
      paramLabel = "DIR",
      description =
          "Where Kafka's log and the store live. Env: METRICS_PIPELINE_DATA_DIR. Default: ${DEFAULT-VALUE}")
  Path dataDir;

  @Option(
      names = "--kafka-port",
      defaultValue = "9092",
      paramLabel = "PORT",
      description =
          "Embedded Kafka's port on 127.0.0.1 (0: any free one). Env: METRICS_PIPELINE_KAFKA_PORT. Default: ${DEFAULT-VALUE}")
  int kafkaPort;

  @Option(
      names = "--schema-registry-port",
      defaultValue = "8081",
      paramLabel = "PORT",
      description =
          "Embedded Schema Registry's port on 127.0.0.1 (0: any free one). Env: METRICS_PIPELINE_SCHEMA_REGISTRY_PORT. Default: ${DEFAULT-VALUE}")
  int registryPort;

  @Option(
      names = "--push-port",
      defaultValue = "9091",
      paramLabel = "PORT",
      description =
          "The push gateway's port (Pushgateway API). Env: METRICS_PIPELINE_PUSH_PORT. Default:"
              + " ${DEFAULT-VALUE}")
  int pushPort;

  @Option(
      names = "--push-address",
      defaultValue = "127.0.0.1",
      paramLabel = "HOST",
      description =
          "Address the push gateway listens on; 0.0.0.0 to take pushes from other machines. Env:"
              + " METRICS_PIPELINE_PUSH_ADDRESS. Default: ${DEFAULT-VALUE}")
  String pushAddress;

  @Option(
      names = "--push-memo-series",
      defaultValue = "" + PushGatewayConfig.DEFAULT_MEMO_SERIES,
      paramLabel = "N",
      description =
          "Series the push gateway's per-group memos may hold together (~0.8 kB each; a group"
              + " pushed again with a memo skips re-working its series); 0 for none. Env:"
              + " METRICS_PIPELINE_PUSH_MEMO_SERIES. Default: ${DEFAULT-VALUE}")
  int pushMemoSeries;

  @Mixin StreamsOptions streamsOptions;

  @Mixin SampleTimeOptions sampleTime;

  @Mixin OtlpOptions otlp;

  @Option(
      names = "--event-loops",
      paramLabel = "N",
      description =
          "Vert.x event loops shared by every HTTP server of run (push gateway, OTLP/gRPC, scraper,"
              + " query API, registry). Env: METRICS_PIPELINE_EVENT_LOOPS. Default: twice the"
              + " cores (${DEFAULT-VALUE} here)")
  int eventLoops = 2 * Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--worker-threads",
      paramLabel = "N",
      description =
          "Vert.x worker threads shared by those servers (request parsing, queries). Env:"
              + " METRICS_PIPELINE_WORKER_THREADS. Default: ${DEFAULT-VALUE}")
  int workerThreads = 20;

  @Mixin WebOptions webOptions;

  @Option(
      names = "--scrape-config",
      paramLabel = "FILE",
      description =
          "A Prometheus config file whose scrape_configs the scraper scrapes (SIGHUP or POST"
              + " /-/reload re-reads it). Without one, run scrapes its own /metrics every 15 s."
              + " Env: METRICS_PIPELINE_SCRAPE_CONFIG")
  Path scrapeConfig;

  @Option(
      names = "--scraper-port",
      defaultValue = "9094",
      paramLabel = "PORT",
      description =
          "The scraper's /api/v1/targets, /-/reload and /metrics (on --push-address). Env:"
              + " METRICS_PIPELINE_SCRAPER_PORT. Default: ${DEFAULT-VALUE}")
  int scraperPort;

  @Option(
      names = "--kafka-sources",
      paramLabel = "FILE",
      description =
          "YAML list of raw topics to normalize ({topic, format, labels}); default: the four"
              + " topics run creates, metrics.in.influx, .prometheus, .remote-write and .pka-json."
              + " Env: METRICS_PIPELINE_KAFKA_SOURCES")
  Path kafkaSources;

  @Option(
      names = "--status-interval",
      defaultValue = "PT10S",
      paramLabel = "DURATION",
      description =
          "How often the live status line is printed (ISO-8601; PT0S: never). Env:"
              + " METRICS_PIPELINE_STATUS_INTERVAL. Default: ${DEFAULT-VALUE}")
  java.time.Duration statusInterval;

  @Option(
      names = "--query-port",
      defaultValue = "9095",
      paramLabel = "PORT",
      description =
          "The query API's port (Prometheus HTTP API shape; on --push-address). The rollups are"
              + " in DATA_DIR/metrics.db (SQLite). Env: METRICS_PIPELINE_QUERY_PORT. Default:"
              + " ${DEFAULT-VALUE}")
  int queryPort;

  @Mixin RemoteWriteOptions remoteWrite;

  @Mixin QueryOptions query;

  @Option(
      names = "--partitions",
      defaultValue = "6",
      paramLabel = "N",
      description =
          "Partitions of each topic created on first start (existing topics are kept). Env: METRICS_PIPELINE_PARTITIONS. Default: ${DEFAULT-VALUE}")
  int partitions;

  @Override
  public Integer call() throws InterruptedException {
    Running running = start();
    running.printWelcome(spec.commandLine().getOut());
    if (webOptions.webConfigFile != null) {
      spec.commandLine()
          .getOut()
          .println(
              "The push gateway, query API and scraper are locked by "
                  + webOptions.webConfigFile
                  + ": with basic_auth_users add -u USER:PASSWORD to curl, with TLS --cacert"
                  + " and https.");
      spec.commandLine().getOut().flush();
    }
    StatusLine status =
        StatusLine.start(running.meters, spec.commandLine().getOut(), statusInterval);
    Shutdown.closeOnSignal(
        () -> {
          status.close();
          running.close();
        });
    return 0;
  }

  /** Starts everything and returns it running; close it to stop. */
  public Running start() {
    List<AutoCloseable> started = new ArrayList<>();
    // One registry for every stage: the gateway's /metrics serves all of them.
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    WebConfig web = webOptions.web(); // a bad file stops run before anything starts
    // Every stage's settings are made, and so checked, before anything starts: a refused value
    // stops run at once, naming its flag (SettingFlags), not after Kafka has come up.
    new SettingFlags(spec, Map.of())
        .build(
            () -> {
              Checks.positive("--event-loops", eventLoops);
              Checks.positive("--worker-threads", workerThreads);
              Checks.port("--kafka-port", kafkaPort);
              return Checks.port("--schema-registry-port", registryPort);
            });
    if (scrapeConfig != null) {
      SettingFlags.file(spec, "--scrape-config", () -> PullConfig.load(scrapeConfig));
    }
    List<KafkaSource> sources =
        kafkaSources == null
            ? KafkaSource.defaults()
            : SettingFlags.file(spec, "--kafka-sources", () -> KafkaSource.load(kafkaSources));
    PushGatewayConfig pushConfig =
        new SettingFlags(
                spec,
                Map.of(
                    "host", "--push-address",
                    "port", "--push-port",
                    "memoSeries", "--push-memo-series"))
            .and(OtlpOptions.FLAGS)
            .build(
                () ->
                    PushGatewayConfig.defaults()
                        .withListen(pushAddress, pushPort)
                        .withMemoSeries(pushMemoSeries)
                        .withTimestamps(sampleTime.timestamps())
                        .withWeb(web)
                        .withOtlp(otlp.config()));
    StreamsSettings streamsSettings =
        streamsOptions.settings().withTimestamps(sampleTime.timestamps());
    ScraperSettings scraperSettings =
        new SettingFlags(spec, Map.of("host", "--push-address", "port", "--scraper-port"))
            .build(
                () ->
                    ScraperSettings.defaults()
                        .withListen(pushAddress, scraperPort)
                        .withTimestamps(sampleTime.timestamps())
                        .withWeb(web));
    // Kafka's and the registry's addresses are set once they run; the rest is checked now.
    SinkConfig sinkSettings =
        new SettingFlags(spec, Map.of("host", "--push-address", "port", "--query-port"))
            .and(QueryOptions.FLAGS)
            .build(
                () ->
                    SinkConfig.defaults(
                            KafkaConnection.of("127.0.0.1:" + kafkaPort),
                            RegistryClientConfig.of("http://127.0.0.1:" + registryPort))
                        .withListen(pushAddress, queryPort)
                        .withWeb(web)
                        .withQueryMaxWindows(query.maxWindows));
    // One Vert.x for every stage's servers: one set of event loops and workers, not five.
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions().setEventLoopPoolSize(eventLoops).setWorkerPoolSize(workerThreads));
    started.add(() -> vertx.close().await(10, TimeUnit.SECONDS));
    try {
      EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), kafkaPort, Map.of());
      started.add(kafka);
      KafkaConnection connection = KafkaConnection.of(kafka.bootstrapServers());
      TopicAdmin.createMissing(connection, PipelineTopics.all(partitions, (short) 1));
      EmbeddedSchemaRegistry registry =
          EmbeddedSchemaRegistry.start(
              kafka.bootstrapServers(),
              EmbeddedSchemaRegistry.DEFAULT_TOPIC,
              "127.0.0.1",
              registryPort,
              WebConfig.none(),
              vertx);
      started.add(registry);
      registerSchemas(registry.url());
      // One gateway per data dir: a stable transactional id lets a restart abort the previous
      // run's open transaction at once instead of after the transaction timeout.
      MetricsPublisher publisher =
          MetricsPublisher.start(
              PublisherConfig.defaults(connection, RegistryClientConfig.of(registry.url()))
                  .withTransactionalId("metrics-pipeline-run-push")
                  .withTimestamps(sampleTime.timestamps()));
      started.add(publisher);
      PushGateway gateway = PushGateway.start(pushConfig, publisher, connection, meters, vertx);
      started.add(gateway);
      StreamsApp streams =
          StreamsApp.start(
              streamsSettings,
              streamsOptions.streamsConnection(connection),
              RegistryClientConfig.of(registry.url()),
              "metrics-pipeline-streams",
              dataDir.resolve("streams"),
              meters);
      started.add(streams);
      awaitStreams(streams);
      Normalizer normalizer =
          Normalizer.start(
              sources,
              sampleTime.timestamps(),
              connection,
              RegistryClientConfig.of(registry.url()),
              "metrics-pipeline-normalizer",
              dataDir.resolve("normalizer"),
              meters);
      started.add(normalizer);
      String self = gateway.url().substring(gateway.url().indexOf("://") + 3);
      Supplier<PullConfig> scrapeSource;
      if (scrapeConfig != null) {
        scrapeSource = () -> PullConfig.load(scrapeConfig);
      } else if (web.equals(WebConfig.none())) {
        scrapeSource = () -> selfScrape(self, self);
      } else {
        // The gateway's /metrics is locked now, and run keeps no password, only hashes: the
        // self-scrape reads the same meters from 127.0.0.1, where Kafka and the registry are open
        // anyway, and keeps the gateway's address as its instance.
        OpsServer loopback =
            OpsServer.start(WebConfig.none(), "127.0.0.1", 0, meters, () -> true, vertx);
        started.add(loopback);
        String address = "127.0.0.1:" + loopback.port();
        scrapeSource = () -> selfScrape(address, self);
      }
      Scraper scraper =
          Scraper.start(
              scraperSettings,
              scrapeSource,
              ScrapePublisher.of(publisher),
              publisher.seriesKey(),
              meters,
              vertx);
      started.add(scraper);
      Hangup.onHangup(scraper::reload);
      SinkConfig sinkConfig =
          sinkSettings.toBuilder()
              .kafka(connection)
              .registry(RegistryClientConfig.of(registry.url()))
              .build();
      RollupSink sink =
          RollupSink.start(
              sinkConfig,
              JdbcRollupStore.open("jdbc:sqlite:" + dataDir.resolve("metrics.db")),
              meters,
              vertx);
      started.add(sink);
      RemoteWriteSink.Config remoteWriteConfig = remoteWrite.config(sinkConfig);
      if (remoteWriteConfig != null) {
        started.add(RemoteWriteSink.start(remoteWriteConfig, meters));
      }
      return new Running(
          kafka.bootstrapServers(),
          registry.url(),
          gateway.url(),
          gateway.grpcPort(),
          sink.queryUrl(),
          scraper.url(),
          dataDir,
          meters,
          started);
    } catch (RuntimeException e) {
      new Running(null, null, null, -1, null, null, dataDir, meters, started).close();
      throw e;
    }
  }

  /**
   * The default scrape config: this process's own /metrics (every stage's), every 15 s, keeping the
   * stages' own series and the consumer lag; the per-partition Kafka client metrics (about 9,000
   * series here) are dropped so a newcomer's pushes are not buried under them.
   *
   * @param address where the meters are read
   * @param instance the {@code instance} label: the push gateway's address
   */
  static PullConfig selfScrape(String address, String instance) {
    return PullConfig.parse(
        "scrape_configs: [{job_name: metrics-pipeline, scrape_interval: 15s, static_configs:"
            + " [{targets: ['"
            + address
            + "'], labels: {instance: '"
            + instance
            + "'}}], metric_relabel_configs: [{source_labels: [__name__], action: keep, regex:"
            + " '(push|scraper|streams|sink|normalizer)_.*|kafka_consumer_fetch_manager_records_lag_max'}]}]",
        "(built-in self-scrape)",
        null);
  }

  /** Returns once the streams stage is running, so pushes right after start are rolled up. */
  private static void awaitStreams(StreamsApp streams) {
    try {
      if (!streams.awaitRunning(java.time.Duration.ofSeconds(60))) {
        LOG.warn("The streams stage is not running after 60 s; samples wait in Kafka until it is");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the streams stage", e);
    }
  }

  /** Registers our schemas up front so downstream consumers can see them before any data. */
  static void registerSchemas(String registryUrl) {
    SchemaRegistryClient client = new SchemaRegistryClient(RegistryClientConfig.of(registryUrl));
    client.register(Topics.valueSubject(Topics.SAMPLES), MetricSample.getClassSchema());
    client.register(Topics.sampleBatchSubject(Topics.SAMPLES), SampleBatch.getClassSchema());
    for (String resolution : Topics.DEFAULT_RESOLUTIONS) {
      client.register(Topics.valueSubject(Topics.rollups(resolution)), Rollup.getClassSchema());
    }
    client.register(Topics.valueSubject(Topics.REJECTED), Rejected.getClassSchema());
  }

  /** The running pipeline: where it listens, and how to stop it. */
  public static final class Running implements AutoCloseable {
    private final String bootstrapServers;
    private final String registryUrl;
    private final String pushUrl;
    private final int otlpGrpcPort;
    private final String queryUrl;
    private final String scraperUrl;
    private final PrometheusMeterRegistry meters;
    private final Path dataDir;
    private final List<AutoCloseable> components;

    Running(
        String bootstrapServers,
        String registryUrl,
        String pushUrl,
        int otlpGrpcPort,
        String queryUrl,
        String scraperUrl,
        Path dataDir,
        PrometheusMeterRegistry meters,
        List<AutoCloseable> components) {
      this.meters = meters;
      this.bootstrapServers = bootstrapServers;
      this.registryUrl = registryUrl;
      this.pushUrl = pushUrl;
      this.otlpGrpcPort = otlpGrpcPort;
      this.queryUrl = queryUrl;
      this.scraperUrl = scraperUrl;
      this.dataDir = dataDir;
      this.components = components;
    }

    public String bootstrapServers() {
      return bootstrapServers;
    }

    public String schemaRegistryUrl() {
      return registryUrl;
    }

    /** The push gateway, e.g. {@code http://127.0.0.1:9091}. */
    public String pushUrl() {
      return pushUrl;
    }

    /** The OTLP/gRPC port on the push gateway's address, or -1 when that receiver is off. */
    public int otlpGrpcPort() {
      return otlpGrpcPort;
    }

    /** The scraper's endpoints ({@code /api/v1/targets}), e.g. {@code http://127.0.0.1:9094}. */
    public String scraperUrl() {
      return scraperUrl;
    }

    /** The query API, e.g. {@code http://127.0.0.1:9095}. */
    public String queryUrl() {
      return queryUrl;
    }

    void printWelcome(PrintWriter out) {
      out.println();
      out.println(
          "metrics-pipeline is running (data in " + dataDir.toAbsolutePath().normalize() + ")");
      out.println("  Kafka            " + bootstrapServers);
      out.println("  Schema Registry  " + registryUrl);
      out.println(
          "  Push gateway     " + pushUrl + "   (Pushgateway API; self-metrics at /metrics)");
      out.println(
          "  OpenTelemetry    "
              + pushUrl
              + "/v1/metrics (OTLP/HTTP)"
              + (otlpGrpcPort == -1 ? "" : "; OTLP/gRPC on port " + otlpGrpcPort));
      out.println(
          "  Scraper          "
              + scraperUrl
              + "   (targets at /api/v1/targets; reload with SIGHUP or POST /-/reload)");
      out.println(
          "  Query API        "
              + queryUrl
              + "   (Prometheus HTTP API shape; rollups in "
              + dataDir.resolve("metrics.db")
              + ")");
      out.println();
      out.println("Try:");
      out.println(
          "  curl -X POST "
              + pushUrl
              + "/metrics/job/batch_job --data-binary 'job_duration_seconds 12.5'");
      out.println(
          "  ./metrics-pipeline tail " + Topics.SAMPLES + " --from-beginning | grep job_duration");
      out.println(
          "  ./metrics-pipeline tail "
              + Topics.rollups("1m")
              + " --from-beginning | grep job_duration   (a window closes a minute and its grace"
              + " after it starts)");
      out.println(
          "  curl -g '"
              + queryUrl
              + "/api/v1/query?query=max_over_time(job_duration_seconds[1m])'   (once the"
              + " window has closed)");
      out.println(
          "  sqlite3 "
              + dataDir.resolve("metrics.db")
              + " 'SELECT * FROM rollups JOIN metric_series ON id = series_id'");
      out.println("Stop with Ctrl-C.");
      out.flush();
    }

    /** Stops the components in reverse start order. */
    @Override
    public void close() {
      for (int i = components.size() - 1; i >= 0; i--) {
        try {
          components.get(i).close();
        } catch (Exception e) {
          LOG.warn(
              "Stopping {} failed: {}", components.get(i).getClass().getSimpleName(), e.toString());
        }
      }
      components.clear();
    }
  }
}
