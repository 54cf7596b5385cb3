package dev.metricspipeline.schemas;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How every Kafka client of a stage reaches Kafka: the bootstrap servers and the client settings
 * they all share (SASL, TLS, client DNS lookup, ...). One value per process, made once from the
 * command line ({@code --bootstrap-servers}, {@code --kafka KEY=VALUE}) and handed to every stage,
 * so the producer, the consumers, Kafka Streams and the admin client of a stage can never disagree
 * on where Kafka is or how to log in.
 *
 * <p>Lives in {@code schemas} because the lowest user of it ({@link PublisherConfig}) is there;
 * {@code runtime} and every stage sit above it.
 *
 * @param bootstrapServers Kafka's {@code bootstrap.servers}, e.g. {@code broker1:9092,broker2:9092}
 * @param settings further client settings passed to every client as given; a client's own settings
 *     (serializers, acks, transactions, group ids) are set by the client and win
 */
public record KafkaConnection(String bootstrapServers, Map<String, String> settings) {

  private static final Pattern SECRET =
      Pattern.compile("password|jaas|secret|token|credentials|key\\.pem|keystore\\.key");

  public KafkaConnection {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    if (bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers must not be blank");
    }
    Objects.requireNonNull(settings, "settings");
    if (settings.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException(
          "Kafka setting bootstrap.servers="
              + settings.get("bootstrap.servers")
              + " given as an extra setting: use --bootstrap-servers instead");
    }
    settings = Map.copyOf(settings);
  }

  /** A plaintext connection without further settings, as to the embedded broker. */
  public static KafkaConnection of(String bootstrapServers) {
    return new KafkaConnection(bootstrapServers, Map.of());
  }

  /** This connection with {@code settings} replacing its extra settings. */
  public KafkaConnection withSettings(Map<String, String> settings) {
    return new KafkaConnection(bootstrapServers, settings);
  }

  /**
   * A client's configuration: {@code bootstrap.servers} and the shared settings, to which the
   * client adds its own (a fresh, mutable map each call).
   */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new TreeMap<>(settings);
    config.put("bootstrap.servers", bootstrapServers);
    return config;
  }

  /** {@link #clientConfig()} as {@link Properties}, for the clients that take those. */
  public Properties properties() {
    Properties p = new Properties();
    p.putAll(clientConfig());
    return p;
  }

  /** Bootstrap servers and setting names; values of secret-looking settings are left out. */
  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>();
    settings.forEach(
        (k, v) -> shown.put(k, SECRET.matcher(k.toLowerCase(Locale.ROOT)).find() ? "[hidden]" : v));
    return "KafkaConnection[" + bootstrapServers + (shown.isEmpty() ? "" : ", " + shown) + "]";
  }
}
