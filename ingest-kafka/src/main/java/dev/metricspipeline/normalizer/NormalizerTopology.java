package dev.metricspipeline.normalizer;

import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.ParsedSample;
import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.RejectReason;
import dev.metricspipeline.schemas.avro.Rejected;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw topics → {@code metrics.samples}, as a pure function of the sources: one source node and one
 * {@code normalize-<topic>} processor per raw topic. Each message is parsed whole with its topic's
 * format; its samples get the source's labels (where absent), origin {@code KAFKA_TOPIC}, and are
 * re-keyed by series id, so a series keeps its order downstream on one partition. A message that
 * does not parse (even partly) goes whole to {@code metrics.rejected} with its topic, partition,
 * offset, the parser's error and its bytes; it is counted and logged, and processing goes on. So
 * does a message with a sample stamped before 1970 or further ahead of the stage's clock than
 * {@link SampleTimestamps} allows ({@code INVALID_TIMESTAMP}): the whole message, as with a parse
 * error. Samples without timestamps take the Kafka record's timestamp (the wall clock if the record
 * has none). Stateless: no stores.
 */
public final class NormalizerTopology {

  private static final Logger LOG = LoggerFactory.getLogger(NormalizerTopology.class);

  private NormalizerTopology() {}

  /** Counts by outcome: {@code messages}, {@code samples}, {@code rejected}. Thread-safe. */
  public static final class Counts {
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    void add(String what, long n) {
      counts.computeIfAbsent(what, k -> new LongAdder()).add(n);
    }

    public long get(String what) {
      LongAdder a = counts.get(what);
      return a == null ? 0 : a.sum();
    }
  }

  public static Topology build(
      List<KafkaSource> sources,
      String samplesTopic,
      String rejectedTopic,
      SeriesKey seriesKey,
      SampleTimestamps timestamps,
      Serializer<SpecificRecord> samples,
      Serializer<SpecificRecord> rejected,
      Counts counts) {
    Topology topology = new Topology();
    String[] parents = new String[sources.size()];
    for (int i = 0; i < sources.size(); i++) {
      KafkaSource source = sources.get(i);
      String in = "raw-" + source.topic();
      String name = "normalize-" + source.topic();
      topology.addSource(
          in, new ByteArrayDeserializer(), new ByteArrayDeserializer(), source.topic());
      topology.addProcessor(name, () -> new Normalize(source, seriesKey, timestamps, counts), in);
      parents[i] = name;
    }
    topology.addSink("samples", samplesTopic, new StringSerializer(), samples, parents);
    topology.addSink("rejected", rejectedTopic, new StringSerializer(), rejected, parents);
    return topology;
  }

  private static final class Normalize
      implements Processor<byte[], byte[], String, SpecificRecord> {
    private final KafkaSource source;
    private final SeriesKey seriesKey;
    private final SampleTimestamps timestamps;
    private final Counts counts;
    private ProcessorContext<String, SpecificRecord> context;

    Normalize(KafkaSource source, SeriesKey seriesKey, SampleTimestamps timestamps, Counts counts) {
      this.source = source;
      this.seriesKey = seriesKey;
      this.timestamps = timestamps;
      this.counts = counts;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
      this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      counts.add("messages", 1);
      byte[] value = record.value();
      if (value == null) {
        return; // a tombstone carries nothing
      }
      Header type = record.headers().lastHeader("Content-Type");
      String contentType = type == null ? null : new String(type.value(), StandardCharsets.UTF_8);
      long now = context.currentSystemTimeMs();
      ParseResult parsed;
      try {
        parsed =
            source
                .parser(value, contentType)
                .parse(value, record.timestamp() >= 0 ? record.timestamp() : now);
      } catch (ParseException | RuntimeException e) {
        reject(record, RejectReason.UNPARSEABLE, source.format().key() + ": " + e.getMessage());
        return;
      }
      for (ParsedSample p : parsed.samples()) {
        Optional<String> badTime =
            timestamps.violation(seriesKey, p.name(), p.labels(), p.timestamp(), now);
        if (badTime.isPresent()) {
          reject(record, RejectReason.INVALID_TIMESTAMP, badTime.get());
          return;
        }
      }
      for (ParsedSample p : parsed.samples()) {
        MetricSample sample = p.toAvro(Origin.KAFKA_TOPIC, context.currentSystemTimeMs());
        if (!source.labels().isEmpty()) {
          TreeMap<String, String> labels = new TreeMap<>(p.labels());
          source.labels().forEach(labels::putIfAbsent);
          sample.setLabels(labels);
        }
        sample.setSource("kafka " + source.topic());
        context.forward(
            new Record<String, SpecificRecord>(
                seriesKey.idOf(sample), sample, sample.getTimestamp(), record.headers()),
            "samples");
      }
      counts.add("samples", parsed.samples().size());
    }

    private void reject(Record<byte[], byte[]> record, RejectReason reason, String why) {
      counts.add("rejected", 1);
      RecordMetadata where = context.recordMetadata().orElse(null);
      String coordinates =
          where == null ? "?" : where.topic() + "/" + where.partition() + "@" + where.offset();
      LOG.warn("Rejected message {}: {}", coordinates, why);
      Rejected rejected =
          Rejected.newBuilder()
              .setReason(reason)
              .setDetail(why)
              .setSourceTopic(where == null ? source.topic() : where.topic())
              .setSourcePartition(where == null ? null : where.partition())
              .setSourceOffset(where == null ? null : where.offset())
              .setRejectedAt(context.currentSystemTimeMs())
              .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
              .setOriginalValue(ByteBuffer.wrap(record.value()))
              .build();
      context.forward(
          new Record<String, SpecificRecord>(coordinates, rejected, context.currentSystemTimeMs()),
          "rejected");
    }
  }
}
