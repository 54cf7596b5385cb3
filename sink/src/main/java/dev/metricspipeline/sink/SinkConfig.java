package dev.metricspipeline.sink;

import dev.metricspipeline.formats.PromDurations;
import dev.metricspipeline.http.WebConfig;
import dev.metricspipeline.runtime.Checks;
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
 * @param bootstrapServers Kafka
 * @param registry the Schema Registry the rollups were written with
 * @param groupId the consumer group instances share (partitions are split between them)
 * @param topics the rollup topics to read
 * @param kafka further client settings (SASL, TLS)
 * @param host the query API's address
 * @param port the query API's port (0: any free one)
 * @param retention per resolution, how long windows are kept; resolutions not listed are kept
 * @param retentionInterval how often old windows are deleted
 * @param maxPollRecords the largest batch written in one transaction
 * @param web the query API's TLS, basic auth and headers ({@code --web.config.file})
 */
public record SinkConfig(
    String bootstrapServers,
    RegistryClientConfig registry,
    String groupId,
    List<String> topics,
    Map<String, String> kafka,
    String host,
    int port,
    Map<String, Duration> retention,
    Duration retentionInterval,
    int maxPollRecords,
    WebConfig web) {

  public SinkConfig {
    Objects.requireNonNull(web, "web");
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(groupId, "groupId");
    topics = List.copyOf(topics);
    kafka = Map.copyOf(kafka);
    retention = Map.copyOf(retention);
    Checks.notEmpty("topics", topics);
    Checks.positive("maxPollRecords", maxPollRecords);
  }

  /**
   * Group {@code metrics-pipeline-sink}, topics {@code metrics.rollups.1m/5m/1h}, query API on
   * 127.0.0.1:9095, retention 1m: 7 days, 5m: 30 days, 1h: 400 days, applied every 5 minutes,
   * batches of up to 5000 rollups.
   */
  public static SinkConfig defaults(String bootstrapServers, RegistryClientConfig registry) {
    Map<String, Duration> retention = new LinkedHashMap<>();
    retention.put("1m", Duration.ofDays(7));
    retention.put("5m", Duration.ofDays(30));
    retention.put("1h", Duration.ofDays(400));
    return new SinkConfig(
        bootstrapServers,
        registry,
        "metrics-pipeline-sink",
        Topics.DEFAULT_RESOLUTIONS.stream().map(Topics::rollups).toList(),
        Map.of(),
        "127.0.0.1",
        9095,
        retention,
        Duration.ofMinutes(5),
        5000,
        WebConfig.none());
  }

  public SinkConfig withListen(String host, int port) {
    return new SinkConfig(
        bootstrapServers,
        registry,
        groupId,
        topics,
        kafka,
        host,
        port,
        retention,
        retentionInterval,
        maxPollRecords,
        web);
  }

  public SinkConfig withGroup(String groupId, Map<String, String> kafka) {
    return new SinkConfig(
        bootstrapServers,
        registry,
        groupId,
        topics,
        kafka,
        host,
        port,
        retention,
        retentionInterval,
        maxPollRecords,
        web);
  }

  public SinkConfig withRetention(Map<String, Duration> retention) {
    return new SinkConfig(
        bootstrapServers,
        registry,
        groupId,
        topics,
        kafka,
        host,
        port,
        retention,
        retentionInterval,
        maxPollRecords,
        web);
  }

  public SinkConfig withMaxPollRecords(int maxPollRecords) {
    return new SinkConfig(
        bootstrapServers,
        registry,
        groupId,
        topics,
        kafka,
        host,
        port,
        retention,
        retentionInterval,
        maxPollRecords,
        web);
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
    return new SinkConfig(
        bootstrapServers,
        registry,
        groupId,
        topics,
        kafka,
        host,
        port,
        retention,
        retentionInterval,
        maxPollRecords,
        web);
  }

  /** Behind a web config ({@code --web.config.file}): TLS, basic auth, response headers. */
  public SinkConfig withWeb(WebConfig web) {
    return new SinkConfig(
        bootstrapServers,
        registry,
        groupId,
        topics,
        kafka,
        host,
        port,
        retention,
        retentionInterval,
        maxPollRecords,
        web);
  }
}
