package dev.metricspipeline.runtime;

import dev.metricspipeline.schemas.avro.RejectReason;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a Kafka Streams stage survives faults. Two kinds, told apart by {@link #isRecordFault}:
 *
 * <ul>
 *   <li><b>About one record</b> (a processor threw on it, its output cannot be serialized, the
 *       broker refused that one record): the record goes to {@code metrics.rejected} as a {@link
 *       Rejected} with its source topic, partition, offset and bytes, in the same transaction as
 *       the task's other output, and processing goes on ({@link RejectingProcessingHandler}, {@link
 *       RejectingProductionHandler}). Counted as {@code processing_error} or {@code
 *       production_error}.
 *   <li><b>Not about one record</b> (Schema Registry or broker unreachable, a state store failing,
 *       a bug in the handler itself): the stream thread fails, and {@link #uncaughtHandler()} waits
 *       (1 s doubling to 16 s) and replaces it, so the task resumes from its last commit with
 *       nothing lost. Every such fault is counted in {@link StageHealth}; past its bound the stage
 *       reports not ready. Replacing goes on, so the stage recovers by itself when the outage ends.
 * </ul>
 *
 * <p>Trap: with {@code exactly_once_v2} a record the <em>broker</em> refuses (e.g. a timestamp past
 * {@code message.timestamp.after.max.ms}) has already put the transactional producer in an
 * abortable state, so the task's transaction is aborted whatever the handler answers, and the same
 * input comes back. That is why sample timestamps are bounded before any output is written (see
 * {@code SampleTimestamps}); the production handler still turns serialization failures into
 * rejects, which happen before anything is sent.
 */
public final class StreamsFaults {

  private static final Logger LOG = LoggerFactory.getLogger(StreamsFaults.class);

  /** The config key under which the handlers find this object. */
  static final String CONFIG_KEY = "metrics.pipeline.streams.faults";

  private final String rejectedTopic;
  private final Serializer<Rejected> serializer;
  private final Consumer<String> counter;
  private final StageHealth health;
  private final Duration firstBackoff;
  private final Duration maxBackoff;

  /**
   * @param rejectedTopic where rejected records go ({@code metrics.rejected})
   * @param serializer writes {@link Rejected} values (Confluent wire format)
   * @param counter counts rejects by reason: {@code processing_error}, {@code production_error},
   *     and {@code unwritable_reject} for rejects that could not be written
   * @param health counts faults that are not about one record
   */
  public StreamsFaults(
      String rejectedTopic,
      Serializer<Rejected> serializer,
      Consumer<String> counter,
      StageHealth health) {
    this(rejectedTopic, serializer, counter, health, Duration.ofSeconds(1), Duration.ofSeconds(16));
  }

  StreamsFaults(
      String rejectedTopic,
      Serializer<Rejected> serializer,
      Consumer<String> counter,
      StageHealth health,
      Duration firstBackoff,
      Duration maxBackoff) {
    this.rejectedTopic = Objects.requireNonNull(rejectedTopic, "rejectedTopic");
    this.serializer = Objects.requireNonNull(serializer, "serializer");
    this.counter = Objects.requireNonNull(counter, "counter");
    this.health = Objects.requireNonNull(health, "health");
    this.firstBackoff = firstBackoff;
    this.maxBackoff = maxBackoff;
  }

  /** Sets both exception handlers of a Streams configuration to ours, bound to this object. */
  public void configure(Properties props) {
    props.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        RejectingProcessingHandler.class.getName());
    props.put(
        StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
        RejectingProductionHandler.class.getName());
    props.put(CONFIG_KEY, this);
  }

  public StageHealth health() {
    return health;
  }

  /**
   * Whether an exception is about the record being processed or written, so that rejecting that
   * record and going on is right. Not so: anything retriable (a broker or the registry away), a
   * Streams-internal failure (state stores, task migration), or an {@link Error}.
   */
  public static boolean isRecordFault(Throwable e) {
    if (e instanceof InvalidTimestampException || e instanceof RecordTooLargeException) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RetriableException
          || t instanceof StreamsException
          || t instanceof Error
          || (t instanceof SchemaRegistryException r && r.isRetriable())) {
        return false;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return true;
  }

  /**
   * The uncaught-exception handler: counts the fault, waits a backoff that doubles with the streak,
   * then replaces the thread.
   */
  public StreamsUncaughtExceptionHandler uncaughtHandler() {
    return e -> {
      int streak = health.fault(String.valueOf(e));
      long wait =
          Math.min(maxBackoff.toMillis(), firstBackoff.toMillis() << Math.min(streak - 1, 20));
      LOG.error(
          "Stream thread failed ({} in a row); replacing it in {} ms{}",
          streak,
          wait,
          health.failure().map(f -> "; stage NOT READY: " + f).orElse(""),
          e);
      try {
        Thread.sleep(wait); // backoff before the replacement thread retries the same input
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    };
  }

  /** A reject for {@code metrics.rejected}, stamped now (never with the failing record's time). */
  List<ProducerRecord<byte[], byte[]>> reject(
      RejectReason reason, String detail, ErrorHandlerContext where) {
    counter.accept(
        reason == RejectReason.PRODUCTION_ERROR ? "production_error" : "processing_error");
    LOG.warn(
        "Rejected record {}-{}@{} at {}: {}",
        where.topic(),
        where.partition(),
        where.offset(),
        where.processorNodeId(),
        detail);
    long now = System.currentTimeMillis();
    byte[] key = where.sourceRawKey();
    byte[] value = where.sourceRawValue();
    Rejected rejected =
        Rejected.newBuilder()
            .setReason(reason)
            .setDetail(detail)
            .setSourceTopic(where.topic())
            .setSourcePartition(where.partition() < 0 ? null : where.partition())
            .setSourceOffset(where.offset() < 0 ? null : where.offset())
            .setRejectedAt(now)
            .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
            .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
            .build();
    return List.of(
        new ProducerRecord<>(
            rejectedTopic, null, now, key, serializer.serialize(rejectedTopic, rejected)));
  }

  void count(String what) {
    counter.accept(what);
  }

  String rejectedTopic() {
    return rejectedTopic;
  }

  static StreamsFaults from(java.util.Map<String, ?> configs) {
    Object faults = configs.get(CONFIG_KEY);
    if (!(faults instanceof StreamsFaults f)) {
      throw new IllegalStateException(
          "the handler needs a StreamsFaults under "
              + CONFIG_KEY
              + "; set it with StreamsFaults.configure(props)");
    }
    return f;
  }
}
