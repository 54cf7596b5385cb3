package dev.metricspipeline.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.metricspipeline.launcher.internal.RecordJson;
import dev.metricspipeline.schemas.avro.SampleBatch;
import dev.metricspipeline.schemas.registry.SchemaRegistryClient;
import dev.metricspipeline.schemas.serde.AvroDeserializer;
import dev.metricspipeline.schemas.serde.WireFormat;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
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
 *
 * <p>A {@code SampleBatch} record of {@code metrics.samples} is printed as one line per sample: the
 * sample as {@code value}, its series id as {@code key} (the batch record has none), and {@code
 * batchIndex} / {@code batchSize} beside the record's partition and offset. {@code --max} counts
 * lines.
 */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = {
      "Prints a topic's records as JSON lines: key, partition, offset, timestamp and the value"
          + " decoded with its Avro field names; a batch of samples (metrics.samples) as one line"
          + " per sample. Stops after --max lines, after --idle-timeout seconds without a record,"
          + " or on Ctrl-C."
    })
public final class TailCommand implements Callable<Integer> {

  private static final String SAMPLE_BATCH = SampleBatch.getClassSchema().getFullName();

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
          poll:
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            lastRecord = System.nanoTime();
            for (String line : lines(record, avro)) {
              out.println(line);
              out.flush();
              if (max != null && ++printed >= max) {
                break poll;
              }
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

  private static List<String> lines(
      ConsumerRecord<byte[], byte[]> record, AvroDeserializer<GenericRecord> avro) {
    ObjectNode line = JsonNodeFactory.instance.objectNode();
    line.put("topic", record.topic());
    line.put("partition", record.partition());
    line.put("offset", record.offset());
    line.put("timestamp", record.timestamp());
    decode(line, "key", record.topic(), record.key(), avro);
    Object value = decode(line, "value", record.topic(), record.value(), avro);
    if (value instanceof GenericRecord batch
        && batch.getSchema().getFullName().equals(SAMPLE_BATCH)
        && batch.get("samples") instanceof List<?> samples) {
      List<String> out = new ArrayList<>(samples.size());
      for (int i = 0; i < samples.size(); i++) {
        ObjectNode one = line.deepCopy();
        JsonNode sample = RecordJson.avro(samples.get(i));
        one.set("key", sample.path("seriesId"));
        one.put("batchIndex", i);
        one.put("batchSize", samples.size());
        one.set("value", sample);
        out.add(one.toString());
      }
      return out;
    }
    return List.of(line.toString());
  }

  /** Sets the field to the decoded bytes as JSON; returns the Avro datum when there was one. */
  private static Object decode(
      ObjectNode line,
      String field,
      String topic,
      byte[] bytes,
      AvroDeserializer<GenericRecord> avro) {
    if (bytes != null
        && bytes.length >= WireFormat.HEADER_SIZE
        && bytes[0] == WireFormat.MAGIC_BYTE) {
      try {
        GenericRecord datum = avro.deserialize(topic, bytes);
        line.set(field, RecordJson.avro(datum));
        return datum;
      } catch (SerializationException e) {
        line.put(field + "Error", e.getMessage());
      }
    }
    line.set(field, RecordJson.raw(bytes));
    return null;
  }
}
