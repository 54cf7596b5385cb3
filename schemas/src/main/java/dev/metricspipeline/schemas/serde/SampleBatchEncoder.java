package dev.metricspipeline.schemas.serde;

import dev.metricspipeline.schemas.Topics;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.SampleBatch;
import dev.metricspipeline.schemas.registry.SchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.avro.io.BinaryData;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.utils.Utils;

/**
 * Writes {@link SampleBatch} records for {@code metrics.samples} in two steps, so the expensive one
 * runs on the callers' threads and the cheap one on the single producer thread:
 *
 * <ol>
 *   <li>{@link #items} encodes each sample once as a batch item (Avro {@code MetricSample} with its
 *       {@code seriesId}, written field by field by {@link SampleItemWriter}, the stock writer's
 *       bytes at a fraction of its cost) and hashes its series id as Kafka's default partitioner
 *       hashes a key; {@link #encodedItems} does the same from series encoded once beforehand
 *       ({@link EncodedSeries}), copying their strings' bytes; either way, source fields the very
 *       same as the previous sample's (one request's, one scrape's) are copied from its bytes;
 *   <li>{@link Batch} concatenates items of one partition into one wire-format record: the Avro
 *       binary encoding of a record whose only field is an array is the item count, the items, and
 *       a zero, so no item is encoded twice. {@link PartitionedBatches} keeps one open per
 *       partition and splits at {@link #MAX_SAMPLES} and {@link #MAX_BYTES}.
 * </ol>
 *
 * <p>The batch schema is registered under {@link Topics#sampleBatchSubject(String)} (Confluent's
 * TopicRecordNameStrategy), beside the per-sample records' {@code <topic>-value}, so the subject's
 * history stays compatible and any wire-format deserializer reads both. Thread-safe.
 */
public final class SampleBatchEncoder {

  static {
    AvroTrust.ensure();
  }

  /** A batch is closed at this many samples: Streams' per-record cost is well amortized by then. */
  public static final int MAX_SAMPLES = 1_000;

  /** A batch is closed before it passes this many bytes, far under Kafka's 1 MiB record default. */
  public static final int MAX_BYTES = 512 * 1024;

  private final SchemaRegistry registry;

  public SampleBatchEncoder(SchemaRegistry registry) {
    this.registry = registry;
  }

  /**
   * Registers the batch schema for the topic (the client caches it) and returns its id.
   *
   * @throws SerializationException whose cause is the registry's {@link
   *     dev.metricspipeline.schemas.registry.SchemaRegistryException}
   */
  public int schemaId(String topic) {
    return AvroSerializer.schemaId(
        registry, true, Topics.sampleBatchSubject(topic), SampleBatch.getClassSchema(), topic);
  }

  /**
   * Encodes samples as batch items. The sample's own {@code seriesId} is not written: the id given
   * here is.
   *
   * @param seriesIds aligned with {@code samples}, none null
   */
  public Items items(List<MetricSample> samples, List<String> seriesIds) {
    return encode(samples, null, seriesIds::get);
  }

  /**
   * Encodes samples as batch items from their series' encodings: a sample made of the very name and
   * labels its series was encoded from costs copies and its own type, value, timestamps and (unless
   * the series keeps them) source fields; any other is written in full with the series' id (the
   * same bytes either way). A sample without a series is written in full with the id {@code
   * idOfOthers} gives it. The sample's own {@code seriesId} is not written.
   *
   * @param series aligned with {@code samples}; null where a sample has none
   * @param idOfOthers the series id of a sample without an encoded series
   * @throws IllegalArgumentException when {@code series} and {@code samples} differ in size
   */
  public Items encodedItems(
      List<MetricSample> samples,
      List<EncodedSeries> series,
      Function<MetricSample, String> idOfOthers) {
    requireAligned(samples, series);
    return encode(samples, series, i -> idOfOthers.apply(samples.get(i)));
  }

  /**
   * Fails unless there is one series entry per sample, as {@link #encodedItems} needs.
   *
   * @throws IllegalArgumentException naming both sizes
   */
  public static void requireAligned(List<MetricSample> samples, List<EncodedSeries> series) {
    if (series.size() != samples.size()) {
      throw new IllegalArgumentException(
          series.size() + " series for " + samples.size() + " samples");
    }
  }

  /**
   * Writes each sample from its encoded series when it has one, else whole with {@code idOf(i)}.
   *
   * @param series null, or aligned with {@code samples}
   */
  private static Items encode(
      List<MetricSample> samples, List<EncodedSeries> series, IntFunction<String> idOf) {
    SampleItemWriter out = new SampleItemWriter(capacity(samples.size(), series));
    int[] ends = new int[samples.size()];
    int[] hashes = new int[samples.size()];
    try {
      for (int i = 0; i < samples.size(); i++) {
        EncodedSeries encoded = series == null ? null : series.get(i);
        if (encoded != null) {
          out.write(samples.get(i), encoded);
          hashes[i] = encoded.hash();
        } else {
          byte[] idBytes = idOf.apply(i).getBytes(StandardCharsets.UTF_8);
          out.write(samples.get(i), idBytes);
          hashes[i] = Utils.murmur2(idBytes);
        }
        ends[i] = out.size();
      }
    } catch (RuntimeException e) {
      throw new SerializationException("Cannot serialize MetricSample: " + e.getMessage(), e);
    }
    return new Items(out.buffer(), ends, hashes);
  }

  /**
   * The bytes the items will take: each encoded series' item size, and 160 for a sample written in
   * full. A buffer that grew on the way would copy what was written at each doubling (4% of the
   * scraper's CPU in a profile, with 160 for every sample).
   */
  private static int capacity(int samples, List<EncodedSeries> series) {
    if (series == null) {
      return samples * 160;
    }
    long bytes = 0;
    for (int i = 0; i < samples; i++) {
      EncodedSeries encoded = series.get(i);
      bytes += encoded == null ? 160 : encoded.itemBytes();
    }
    return (int) Math.min(bytes, Integer.MAX_VALUE - 16);
  }

  /** One SampleBatch record holding the given samples, in the wire format. */
  public byte[] encode(String topic, List<MetricSample> samples, List<String> seriesIds) {
    Items items = items(samples, seriesIds);
    Batch batch = new Batch(schemaId(topic));
    for (int i = 0; i < items.size(); i++) {
      batch.add(items, i);
    }
    return batch.toRecord();
  }

  /** Encoded samples of one call: their bytes end to end, and each one's series-id hash. */
  public static final class Items {
    private final byte[] bytes;
    private final int[] ends;
    private final int[] hashes;

    private Items(byte[] bytes, int[] ends, int[] hashes) {
      this.bytes = bytes;
      this.ends = ends;
      this.hashes = hashes;
    }

    public int size() {
      return ends.length;
    }

    /** The bytes the items were written into: more than they take when the estimate was high. */
    int capacity() {
      return bytes.length;
    }

    /** The partition Kafka's default partitioner would choose for the sample's series id as key. */
    public int partition(int i, int partitions) {
      return Utils.toPositive(hashes[i]) % partitions;
    }

    int length(int i) {
      return ends[i] - start(i);
    }

    int start(int i) {
      return i == 0 ? 0 : ends[i - 1];
    }
  }

  /**
   * Items of one partition gathered into one record. Not thread-safe. Callers split samples into
   * records through {@link PartitionedBatches}, which keeps one per partition.
   *
   * <p>Holds where each item is (its {@link Items} and index), not a copy: {@link #toRecord} copies
   * each item once, into a record of exactly its size. A buffer gathering copies grew by doubling
   * and was copied again into the record and again to trim it: three copies of every item, 4% of
   * the scraper's CPU in a profile. The items' arrays are kept until the batch is sent.
   */
  static final class Batch {
    private final int schemaId;
    private Items[] sources = new Items[64];
    private int[] indexes = new int[64];
    private int count;
    private int bytes;

    Batch(int schemaId) {
      this.schemaId = schemaId;
    }

    /** Whether the item can join without passing {@link #MAX_SAMPLES} or {@link #MAX_BYTES}. */
    boolean fits(Items from, int i) {
      return count == 0 || (count < MAX_SAMPLES && bytes + from.length(i) + 16 <= MAX_BYTES);
    }

    void add(Items from, int i) {
      if (count == sources.length) {
        sources = Arrays.copyOf(sources, count * 2);
        indexes = Arrays.copyOf(indexes, count * 2);
      }
      sources[count] = from;
      indexes[count] = i;
      count++;
      bytes += from.length(i);
    }

    int count() {
      return count;
    }

    /**
     * The record: wire-format header, then the array block (count, items, end of array), in an
     * array of exactly its length.
     */
    byte[] toRecord() {
      byte[] blockCount = new byte[10];
      int countLength = count > 0 ? BinaryData.encodeLong(count, blockCount, 0) : 0;
      byte[] record = new byte[WireFormat.HEADER_SIZE + countLength + bytes + 1];
      WireFormat.writeHeader(record, schemaId);
      int at = WireFormat.HEADER_SIZE;
      System.arraycopy(blockCount, 0, record, at, countLength);
      at += countLength;
      for (int k = 0; k < count; k++) {
        Items from = sources[k];
        int i = indexes[k];
        int length = from.length(i);
        System.arraycopy(from.bytes, from.start(i), record, at, length);
        at += length;
      }
      // record[at] stays 0: Avro's end of the array (a block of no items).
      return record;
    }
  }

  /** Where a full {@link Batch} goes: its partition and its wire-format record. */
  @FunctionalInterface
  public interface RecordSink {
    void send(int partition, byte[] record);
  }

  /**
   * One open {@link Batch} per partition: {@link #add} routes each item to its partition's batch
   * and sends that batch first when the item does not fit; {@link #flush} sends what is left. The
   * one place that splits samples into records, for the publisher and the load generators. Keeps
   * each partition's items in the order added. Not thread-safe.
   */
  public static final class PartitionedBatches {
    private final int schemaId;
    private final RecordSink sink;
    private final Batch[] open;

    /**
     * @param schemaId the batch schema's id ({@link #schemaId(String)})
     * @param partitions the topic's partition count
     */
    public PartitionedBatches(int schemaId, int partitions, RecordSink sink) {
      if (partitions < 1) {
        throw new IllegalArgumentException("partitions must be at least 1, not " + partitions);
      }
      this.schemaId = schemaId;
      this.sink = sink;
      this.open = new Batch[partitions];
    }

    /** Adds every item, in order, sending each batch that fills up on the way. */
    public void add(Items items) {
      for (int i = 0; i < items.size(); i++) {
        int partition = items.partition(i, open.length);
        Batch into = open[partition];
        if (into != null && !into.fits(items, i)) {
          send(partition);
          into = null;
        }
        if (into == null) {
          into = open[partition] = new Batch(schemaId);
        }
        into.add(items, i);
      }
    }

    /** Sends every open batch, partition by partition. */
    public void flush() {
      for (int partition = 0; partition < open.length; partition++) {
        if (open[partition] != null) {
          send(partition);
        }
      }
    }

    private void send(int partition) {
      byte[] record = open[partition].toRecord();
      open[partition] = null;
      sink.send(partition, record);
    }
  }
}
