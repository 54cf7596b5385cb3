package dev.metricspipeline.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metricspipeline.launcher.internal.RecordJson;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import dev.metricspipeline.schemas.serde.WireFormat;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code metrics-pipeline tail TOPIC}: prints each record as one JSON object per line on stdout,
 * flushed per record, so scripts and tests can read topics. Avro values in Confluent's wire format
 * are decoded with the registry (field names kept); other values are printed as JSON, text or
 * base64. It joins no consumer group and commits nothing.
 */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = {
      "Prints a topic's records as JSON lines: key, partition, offset, timestamp and the value"
          + " decoded with its Avro field names. Stops after --max records, after --idle-timeout"
          + " seconds without one, or on Ctrl-C."
    })
public final class TailCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "TOPIC",
      description = "The topic, e.g. metrics.samples or _schemas.")
  String topic;

  @Option(
      names = "--from-beginning",
      description =
          "Start at the earliest record instead of the end. Env: METRICS_PIPELINE_FROM_BEGINNING.")
  boolean fromBeginning;

  @Option(
      names = "--max",
      paramLabel = "N",
      description = "Exit after N records. Env: METRICS_PIPELINE_MAX.")
  Long max;

  @Option(
      names = "--idle-timeout",
      paramLabel = "SECONDS",
      description = "Exit after SECONDS without a new record. Env: METRICS_PIPELINE_IDLE_TIMEOUT.")
  Double idleTimeout;

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--read-uncommitted",
      description =
          "Also print records of open or aborted transactions. Env: METRICS_PIPELINE_READ_UNCOMMITTED.")
  boolean readUncommitted;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AvroDeserializer<GenericRecord> avro =
        AvroDeserializer.generic(new SchemaRegistryClient(kafka.registry()));
    Properties p = kafka.connection().properties();
    p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.setProperty(
        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
        readUncommitted ? "read_uncommitted" : "read_committed");
    p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "metrics-pipeline-tail");
    CountDownLatch finished = new CountDownLatch(1);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Thread hook =
          new Thread(
              () -> {
                consumer.wakeup();
                try {
                  finished.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "tail-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(15));
        if (partitions == null || partitions.isEmpty()) {
          err.println("tail: topic '" + topic + "' does not exist on " + kafka.bootstrapServers);
          err.flush();
          return 1;
        }
        List<TopicPartition> assigned =
            partitions.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
        consumer.assign(assigned);
        if (fromBeginning) {
          consumer.seekToBeginning(assigned);
        } else {
          consumer.seekToEnd(assigned);
        }
        long printed = 0;
        long idleNanos = idleTimeout == null ? Long.MAX_VALUE : (long) (idleTimeout * 1e9);
        long lastRecord = System.nanoTime();
        while (max == null || printed < max) {
          if (System.nanoTime() - lastRecord > idleNanos) {
            break;
          }
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            out.println(line(record, avro));
            out.flush();
            lastRecord = System.nanoTime();
            if (max != null && ++printed >= max) {
              break;
            }
          }
        }
        return 0;
      } catch (WakeupException e) {
        return 0;
      } finally {
        finished.countDown();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the JVM is exiting: the hook is running or ran
        }
      }
    }
  }

  private static String line(
      ConsumerRecord<byte[], byte[]> record, AvroDeserializer<GenericRecord> avro) {
    ObjectNode line = JsonNodeFactory.instance.objectNode();
    line.put("topic", record.topic());
    line.put("partition", record.partition());
    line.put("offset", record.offset());
    line.put("timestamp", record.timestamp());
    decode(line, "key", record.topic(), record.key(), avro);
    decode(line, "value", record.topic(), record.value(), avro);
    return line.toString();
  }

  private static void decode(
      ObjectNode line,
      String field,
      String topic,
      byte[] bytes,
      AvroDeserializer<GenericRecord> avro) {
    JsonNode value;
    if (bytes != null
        && bytes.length >= WireFormat.HEADER_SIZE
        && bytes[0] == WireFormat.MAGIC_BYTE) {
      try {
        value = RecordJson.avro(avro.deserialize(topic, bytes));
      } catch (SerializationException e) {
        value = RecordJson.raw(bytes);
        line.put(field + "Error", e.getMessage());
      }
    } else {
      value = RecordJson.raw(bytes);
    }
    line.set(field, value);
  }
}
