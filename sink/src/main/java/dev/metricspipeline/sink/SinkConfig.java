package dev.metricspipeline.sink;

import dev.metricspipeline.formats.PromDurations;
import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.runtime.Checks;
import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How the sink runs. {@link #defaults} holds the defaults.
 *
 * @param kafka where Kafka is and the client settings (SASL, TLS, ...) the consumers share
 * @param registry the Schema Registry the rollups were written with
 * @param groupId the consumer group instances share (partitions are split between them)
 * @param topics the rollup topics to read
 * @param host the query API's address
 * @param port the query API's port (0: any free one)
 * @param retention per resolution, how long windows are kept; resolutions not listed are kept
 * @param retentionInterval how often old windows are deleted
 * @param maxPollRecords the largest batch written in one transaction
 * @param web the query API's TLS, basic auth and headers ({@code --web.config.file})
 * @param queryMaxWindows the most rollup windows one query may read: a query that could read more
 *     is refused (as Prometheus's {@code --query.max-samples}), so no dashboard can exhaust the
 *     heap
 */
public record SinkConfig(
    KafkaConnection kafka,
    RegistryClientConfig registry,
    String groupId,
    List<String> topics,
    String host,
    int port,
    Map<String, Duration> retention,
    Duration retentionInterval,
    int maxPollRecords,
    WebConfig web,
    long queryMaxWindows) {

  public SinkConfig {
    Objects.requireNonNull(web, "web");
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(groupId, "groupId");
    topics = List.copyOf(topics);
    retention = Map.copyOf(retention);
    Checks.notEmpty("topics", topics);
    Checks.positive("maxPollRecords", maxPollRecords);
    Checks.port("port", port);
    Checks.atLeast("queryMaxWindows", queryMaxWindows, 1L);
  }

  /**
   * Group {@code metrics-pipeline-sink}, topics {@code metrics.rollups.1m/5m/1h}, query API on
   * 127.0.0.1:9095, retention 1m: 7 days, 5m: 30 days, 1h: 400 days, applied every 5 minutes,
   * batches of up to 5000 rollups, queries of up to 20,000,000 windows (about 2 GB of heap).
   */
  public static SinkConfig defaults(KafkaConnection kafka, RegistryClientConfig registry) {
    Map<String, Duration> retention = new LinkedHashMap<>();
    retention.put("1m", Duration.ofDays(7));
    retention.put("5m", Duration.ofDays(30));
    retention.put("1h", Duration.ofDays(400));
    return new SinkConfig(
        kafka,
        registry,
        "metrics-pipeline-sink",
        Topics.DEFAULT_RESOLUTIONS.stream().map(Topics::rollups).toList(),
        "127.0.0.1",
        9095,
        retention,
        Duration.ofMinutes(5),
        5000,
        WebConfig.none(),
        20_000_000L);
  }

  public SinkConfig withListen(String host, int port) {
    return toBuilder().host(host).port(port).build();
  }

  public SinkConfig withGroup(String groupId) {
    return toBuilder().groupId(groupId).build();
  }

  public SinkConfig withRetention(Map<String, Duration> retention) {
    return toBuilder().retention(retention).build();
  }

  public SinkConfig withMaxPollRecords(int maxPollRecords) {
    return toBuilder().maxPollRecords(maxPollRecords).build();
  }

  /**
   * Parses {@code 1m=7d,5m=30d,1h=400d} (Prometheus durations) into a retention map.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  public static Map<String, Duration> parseRetention(String text) {
    Map<String, Duration> out = new LinkedHashMap<>();
    for (String entry : text.split(",")) {
      String e = entry.strip();
      if (e.isEmpty()) {
        continue;
      }
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "retention entry \"" + e + "\" is not RESOLUTION=DURATION, e.g. 1m=7d");
      }
      try {
        out.put(
            e.substring(0, eq).strip(),
            Duration.ofMillis(PromDurations.parse(e.substring(eq + 1).strip())));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("retention entry \"" + e + "\": " + ex.getMessage(), ex);
      }
    }
    return out;
  }

  /** The same settings reading other topics. */
  public SinkConfig withTopics(List<String> topics) {
    return toBuilder().topics(topics).build();
  }

  public SinkConfig withQueryMaxWindows(long queryMaxWindows) {
    return toBuilder().queryMaxWindows(queryMaxWindows).build();
  }

  /** Behind a web config ({@code --web.config.file}): TLS, basic auth, response headers. */
  public SinkConfig withWeb(WebConfig web) {
    return toBuilder().web(web).build();
  }

  /** A builder holding this config's values; {@link Builder#build()} validates. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a {@link SinkConfig}, starting from an existing one. */
  public static final class Builder {
    private KafkaConnection kafka;
    private RegistryClientConfig registry;
    private String groupId;
    private List<String> topics;
    private String host;
    private int port;
    private Map<String, Duration> retention;
    private Duration retentionInterval;
    private int maxPollRecords;
    private WebConfig web;
    private long queryMaxWindows;

    private Builder(SinkConfig c) {
      kafka = c.kafka;
      registry = c.registry;
      groupId = c.groupId;
      topics = c.topics;
      host = c.host;
      port = c.port;
      retention = c.retention;
      retentionInterval = c.retentionInterval;
      maxPollRecords = c.maxPollRecords;
      web = c.web;
      queryMaxWindows = c.queryMaxWindows;
    }

    public Builder kafka(KafkaConnection kafka) {
      this.kafka = kafka;
      return this;
    }

    public Builder registry(RegistryClientConfig registry) {
      this.registry = registry;
      return this;
    }

    public Builder groupId(String groupId) {
      this.groupId = groupId;
      return this;
    }

    public Builder topics(List<String> topics) {
      this.topics = topics;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder retention(Map<String, Duration> retention) {
      this.retention = retention;
      return this;
    }

    public Builder retentionInterval(Duration retentionInterval) {
      this.retentionInterval = retentionInterval;
      return this;
    }

    public Builder maxPollRecords(int maxPollRecords) {
      this.maxPollRecords = maxPollRecords;
      return this;
    }

    public Builder queryMaxWindows(long queryMaxWindows) {
      this.queryMaxWindows = queryMaxWindows;
      return this;
    }

    public Builder web(WebConfig web) {
      this.web = web;
      return this;
    }

    public SinkConfig build() {
      return new SinkConfig(
          kafka,
          registry,
          groupId,
          topics,
          host,
          port,
          retention,
          retentionInterval,
          maxPollRecords,
          web,
          queryMaxWindows);
    }
  }
}
