package dev.metricspipeline.embedded.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's state, kept in a compacted one-partition Kafka topic in Confluent's own record
 * layout (JSON keys {@code {"keytype":"SCHEMA","subject":..,"version":..,"magic":1}} and {@code
 * {"keytype":"CONFIG",..}}), so ids survive restarts and a Confluent registry could adopt the
 * topic.
 *
 * <p>One writer at a time: the store assumes it is the only registry writing the topic. Every write
 * is acknowledged by Kafka ({@code acks=all}) before it is applied in memory and answered, so an id
 * handed out is never lost.
 */
public final class SchemaStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SchemaStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String topic;
  private final KafkaProducer<byte[], byte[]> producer;

  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<String, Integer> idsBySchemaText = new HashMap<>();
  private final Map<String, NavigableMap<Integer, Integer>> subjects = new TreeMap<>();
  private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
  private CompatibilityLevel globalLevel = CompatibilityLevel.BACKWARD;
  private int maxId;

  private SchemaStore(String topic, KafkaProducer<byte[], byte[]> producer) {
    this.topic = topic;
    this.producer = producer;
  }

  /** Creates the topic if needed, reads it to its end and returns the store. */
  public static SchemaStore open(String bootstrapServers, String topic) {
    ensureTopic(bootstrapServers, topic);
    Properties p = new Properties();
    p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.setProperty(ProducerConfig.CLIENT_ID_CONFIG, "embedded-schema-registry");
    SchemaStore store =
        new SchemaStore(
            topic, new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer()));
    store.replay(bootstrapServers);
    return store;
  }

  private static void ensureTopic(String bootstrapServers, String topic) {
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      NewTopic schemas =
          new NewTopic(topic, Optional.of(1), Optional.empty())
              .configs(
                  Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      try {
        admin.createTopics(Set.of(schemas)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("cannot create schema topic " + topic, e.getCause());
        }
      }
      awaitLeader(admin, topic);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating schema topic " + topic, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted creating schema topic " + topic, e);
    }
  }

  /**
   * Waits until a new topic's partition has a leader, so the replay's first metadata request finds
   * it (instead of logging UNKNOWN_TOPIC_OR_PARTITION warnings at every start).
   */
  private static void awaitLeader(Admin admin, String topic)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        TopicDescription description =
            admin
                .describeTopics(Set.of(topic))
                .allTopicNames()
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(topic);
        if (description.partitions().stream().allMatch(p -> p.leader() != null)) {
          return;
        }
      } catch (ExecutionException e) {
        // not known to the broker's metadata yet
      }
      TimeUnit.MILLISECONDS.sleep(50); // metadata settles within a few ms on one node
    }
    throw new TimeoutException("schema topic " + topic + " has no leader after " + TIMEOUT);
  }

  private void replay(String bootstrapServers) {
    Properties p = new Properties();
    p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    TopicPartition partition = new TopicPartition(topic, 0);
    int records = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
      while (consumer.position(partition, TIMEOUT) < end) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          apply(record.key(), record.value());
          records++;
        }
      }
    }
    LOG.info(
        "Schema store read {} records from {}: {} schemas, {} subjects",
        records,
        topic,
        schemasById.size(),
        subjects.size());
  }

  private void apply(byte[] keyBytes, byte[] valueBytes) {
    try {
      JsonNode key = JSON.readTree(keyBytes);
      String keyType = key.path("keytype").asText();
      if ("SCHEMA".equals(keyType)) {
        if (valueBytes == null) {
          return;
        }
        JsonNode value = JSON.readTree(valueBytes);
        if (value.path("deleted").asBoolean(false)) {
          return;
        }
        Schema schema = new Schema.Parser().parse(value.get("schema").asText());
        int id = value.get("id").asInt();
        remember(value.get("subject").asText(), value.get("version").asInt(), id, schema);
      } else if ("CONFIG".equals(keyType)) {
        JsonNode subject = key.get("subject");
        CompatibilityLevel level =
            valueBytes == null
                ? null
                : CompatibilityLevel.valueOf(
                    JSON.readTree(valueBytes).get("compatibilityLevel").asText());
        if (subject == null || subject.isNull()) {
          globalLevel = level == null ? CompatibilityLevel.BACKWARD : level;
        } else if (level == null) {
          subjectLevels.remove(subject.asText());
        } else {
          subjectLevels.put(subject.asText(), level);
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      LOG.warn(
          "Skipping unreadable record in {}: key {}: {}",
          topic,
          new String(keyBytes, StandardCharsets.UTF_8),
          e.toString());
    }
  }

  private void remember(String subject, int version, int id, Schema schema) {
    schemasById.put(id, schema);
    idsBySchemaText.putIfAbsent(schema.toString(), id);
    subjects.computeIfAbsent(subject, s -> new TreeMap<>()).put(version, id);
    maxId = Math.max(maxId, id);
  }

  /** Parses a schema string as the registry does: only Avro, errors as 42201. */
  public static Schema parse(String schemaText) {
    try {
      return new Schema.Parser().parse(schemaText);
    } catch (SchemaParseException | NullPointerException e) {
      throw RegistryError.invalidSchema(String.valueOf(e.getMessage()));
    }
  }

  /** Registers a schema under a subject, or returns its existing id there. */
  public synchronized Registered register(String subject, Schema schema) {
    Optional<Registered> existing = lookup(subject, schema);
    if (existing.isPresent()) {
      return existing.get();
    }
    NavigableMap<Integer, Integer> versions = subjects.getOrDefault(subject, new TreeMap<>());
    List<Schema> previous = new ArrayList<>();
    List<Integer> previousVersions = new ArrayList<>();
    versions.forEach(
        (v, id) -> {
          previous.add(schemasById.get(id));
          previousVersions.add(v);
        });
    String incompatible = compatibility(subject).check(schema, previous, previousVersions);
    if (incompatible != null) {
      throw RegistryError.incompatible(incompatible);
    }
    int id = idsBySchemaText.getOrDefault(schema.toString(), maxId + 1);
    int version = versions.isEmpty() ? 1 : versions.lastKey() + 1;
    ObjectNode key = JSON.createObjectNode();
    key.put("keytype", "SCHEMA").put("subject", subject).put("version", version).put("magic", 1);
    ObjectNode value = JSON.createObjectNode();
    value
        .put("subject", subject)
        .put("version", version)
        .put("id", id)
        .put("schemaType", "AVRO")
        .put("schema", schema.toString())
        .put("deleted", false);
    write(key, value);
    remember(subject, version, id, schema);
    LOG.info("Registered schema id {} as {} version {}", id, subject, version);
    return new Registered(subject, version, id, schema);
  }

  /** The registration of this exact schema under the subject, if any. */
  public synchronized Optional<Registered> lookup(String subject, Schema schema) {
    Integer id = idsBySchemaText.get(schema.toString());
    NavigableMap<Integer, Integer> versions = subjects.get(subject);
    if (id == null || versions == null) {
      return Optional.empty();
    }
    return versions.entrySet().stream()
        .filter(e -> e.getValue().equals(id))
        .findFirst()
        .map(e -> new Registered(subject, e.getKey(), id, schema));
  }

  public synchronized Optional<Schema> schemaById(int id) {
    return Optional.ofNullable(schemasById.get(id));
  }

  public synchronized List<String> subjects() {
    return List.copyOf(subjects.keySet());
  }

  /** Subjects under which the schema with this id is registered. */
  public synchronized List<String> subjectsOf(int id) {
    Set<String> out = new TreeSet<>();
    subjects.forEach(
        (subject, versions) -> {
          if (versions.containsValue(id)) {
            out.add(subject);
          }
        });
    return List.copyOf(out);
  }

  public synchronized Optional<List<Integer>> versions(String subject) {
    return Optional.ofNullable(subjects.get(subject)).map(v -> List.copyOf(v.keySet()));
  }

  /** A version of a subject; {@code -1} means the latest. */
  public synchronized Optional<Registered> version(String subject, int version) {
    NavigableMap<Integer, Integer> versions = subjects.get(subject);
    if (versions == null || versions.isEmpty()) {
      return Optional.empty();
    }
    int found = version == -1 ? versions.lastKey() : version;
    Integer id = versions.get(found);
    if (id == null) {
      return Optional.empty();
    }
    return Optional.of(new Registered(subject, found, id, schemasById.get(id)));
  }

  /** The subject's level, or the global one when the subject has none. */
  public synchronized CompatibilityLevel compatibility(String subject) {
    return subject == null ? globalLevel : subjectLevels.getOrDefault(subject, globalLevel);
  }

  /** The subject's own level, without falling back to the global one. */
  public synchronized Optional<CompatibilityLevel> subjectCompatibility(String subject) {
    return Optional.ofNullable(subjectLevels.get(subject));
  }

  /** Sets a subject's level, or the global one when {@code subject} is null. */
  public synchronized void setCompatibility(String subject, CompatibilityLevel level) {
    ObjectNode key = JSON.createObjectNode();
    key.put("keytype", "CONFIG");
    if (subject == null) {
      key.putNull("subject");
    } else {
      key.put("subject", subject);
    }
    key.put("magic", 0);
    ObjectNode value = JSON.createObjectNode().put("compatibilityLevel", level.name());
    write(key, value);
    if (subject == null) {
      globalLevel = level;
    } else {
      subjectLevels.put(subject, level);
    }
  }

  private void write(JsonNode key, JsonNode value) {
    try {
      producer
          .send(
              new ProducerRecord<>(
                  topic, JSON.writeValueAsBytes(key), JSON.writeValueAsBytes(value)))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | java.io.IOException e) {
      throw new RegistryError(
          500, 50001, "Error while writing to the schema store topic " + topic + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryError(500, 50001, "Interrupted while writing to the schema store");
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }

  /** One schema registered as one version of one subject. */
  public record Registered(String subject, int version, int id, Schema schema) {}
}
