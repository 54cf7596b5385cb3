package dev.metricspipeline.streams.internal;

import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.RejectReason;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.streams.DropCounters;
import dev.metricspipeline.streams.InputBacklog;
import dev.metricspipeline.streams.StreamsSettings;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls samples up into tumbling windows of one resolution, aligned to the epoch, and emits each
 * window's {@link Rollup} once, when it closes.
 *
 * <p><b>Closing.</b> A window {@code [start, start + size)} closes when {@code start + size +
 * grace} is at or before this task's watermark. The watermark is stream time (the largest sample
 * time the task has seen) while records flow, and moves on to wall-clock time once the task is
 * idle: every check for {@link #IDLE_AFTER_MS} (or twice the check interval, if longer) saw no
 * record, and the {@link InputBacklog} says nothing waits in the input partition. Stream time alone
 * would hold a quiet partition's windows open until its next record (a batch job pushing once a
 * day); the idle rule closes them at their end plus grace, or about 6 s after the partition's last
 * record if that is later. The wall clock is not used while records wait, so a backlog (the stage
 * was down, or fell behind under load) is rolled up in stream time and not rejected as late merely
 * for being processed late. Each watermark that closed windows is kept in the {@code -last} store
 * (changelogged), so a restart does not reopen them. Trade-offs: a sample stamped more than {@code
 * grace} behind the wall clock is late if its partition was quiet before it, so senders' clocks
 * must be within the grace of ours; and a sample stamped far in the future moves stream time,
 * closing that task's earlier windows. Windows are checked every {@code closeCheckInterval} of
 * wall-clock time.
 *
 * <p><b>Late samples</b> (their window is closed) go to {@code metrics.rejected} with reason {@code
 * LATE}, counted and logged. <b>Stale markers</b> end a series: not a value; the counter baseline
 * is forgotten, so a restarted series is not taken for a reset. (Other NaN values never get here:
 * {@link DecodeProcessor} drops them once, before the fan-out to resolutions.) A sample late for
 * several resolutions is rejected once per resolution; the detail names which.
 *
 * <p><b>Counters</b> (counter, histogram and summary sums and counts): {@code increase} adds each
 * step from the series' previous value in sample-time order, across window boundaries (the last
 * value lives in a changelogged store, so it survives restarts); a value below the previous one is
 * a reset, counted in {@code resets}, and contributes its whole value. The first sample ever seen
 * of a series only sets the baseline. A counter sample older than the last one seen is rolled up
 * into count/sum/min/max but adds nothing to the increase.
 *
 * <p>Closed rollups also go to the aggregation child, when there are aggregation rules.
 */
public final class RollupProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(RollupProcessor.class);
  private static final Set<SampleType> CUMULATIVE =
      EnumSet.of(
          SampleType.COUNTER,
          SampleType.HISTOGRAM_BUCKET,
          SampleType.HISTOGRAM_SUM,
          SampleType.HISTOGRAM_COUNT,
          SampleType.SUMMARY_SUM,
          SampleType.SUMMARY_COUNT);

  private final StreamsSettings.Resolution resolution;
  private final Duration grace;
  private final Duration checkInterval;
  private final String windowsStoreName;
  private final String lastStoreName;
  private final String rollupChild;
  private final String aggregateChild;
  private final String rejectedChild;
  private final DropCounters drops;
  private final String inputTopic;
  private final InputBacklog backlog;
  private final Set<String> replicaLabels;
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, Rollup> windows;
  private KeyValueStore<String, byte[]> last;
  private long streamTime = Long.MIN_VALUE;
  private long watermark = Long.MIN_VALUE;
  private long persistedWatermark = Long.MIN_VALUE;
  private boolean sawRecord;
  private long quietSince = Long.MAX_VALUE;
  private boolean wasIdle;
  private int lateLogged;
  private long lateUnlogged;

  /** Late samples logged one by one per check interval; the rest are summed up in one line. */
  private static final int LATE_LOG_LINES = 10;

  /** How long a task must have processed nothing before the wall clock closes its windows. */
  public static final long IDLE_AFTER_MS = 5_000;

  /** The key of the watermark in the {@code -last} store; no series key starts with NUL. */
  static final String WATERMARK_KEY = "\u0000watermark";

  public RollupProcessor(
      StreamsSettings.Resolution resolution,
      Duration grace,
      Duration checkInterval,
      String windowsStoreName,
      String lastStoreName,
      String rollupChild,
      String aggregateChild,
      String rejectedChild,
      Set<String> replicaLabels,
      DropCounters drops,
      String inputTopic,
      InputBacklog backlog) {
    this.inputTopic = inputTopic;
    this.backlog = backlog;
    this.replicaLabels = Set.copyOf(replicaLabels);
    this.resolution = resolution;
    this.grace = grace;
    this.checkInterval = checkInterval;
    this.windowsStoreName = windowsStoreName;
    this.lastStoreName = lastStoreName;
    this.rollupChild = rollupChild;
    this.aggregateChild = aggregateChild;
    this.rejectedChild = rejectedChild;
    this.drops = drops;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.windows = context.getStateStore(windowsStoreName);
    this.last = context.getStateStore(lastStoreName);
    byte[] stored = last.get(WATERMARK_KEY);
    if (stored != null) {
      watermark = ByteBuffer.wrap(stored).getLong();
      persistedWatermark = watermark;
    }
    // quietSince starts unset: a task just (re)started is not idle before its checks say so.
    context.schedule(checkInterval, PunctuationType.WALL_CLOCK_TIME, this::closeWindows);
  }

  private long now() {
    return Math.max(streamTime, watermark);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    MetricSample sample = (MetricSample) record.value();
    String series = record.key();
    sawRecord = true;
    long ts = sample.getTimestamp();
    double value = sample.getValue();
    if (StaleMarker.isStale(value)) {
      last.delete(series);
      return;
    }
    long size = resolution.size().toMillis();
    long start = Math.floorDiv(ts, size) * size;
    if (start + size + grace.toMillis() <= now()) {
      late(record, sample, start);
      return;
    }
    streamTime = Math.max(streamTime, ts);

    String key = windowKey(start, series);
    Rollup rollup = windows.get(key);
    if (rollup == null) {
      rollup =
          Rollup.newBuilder()
              .setSeries(series)
              .setName(sample.getName())
              .setLabels(withoutReplicaLabels(sample))
              .setType(sample.getType())
              .setResolution(resolution.name())
              .setWindowStart(start)
              .setWindowEnd(start + size)
              .setCount(0)
              .setSum(0)
              .setMin(value)
              .setMax(value)
              .setFirst(value)
              .setLast(value)
              .setFirstTimestamp(ts)
              .setLastTimestamp(ts)
              .setIncrease(CUMULATIVE.contains(sample.getType()) ? 0.0 : null)
              .setResets(CUMULATIVE.contains(sample.getType()) ? 0L : null)
              .build();
    }
    rollup.setCount(rollup.getCount() + 1);
    rollup.setSum(rollup.getSum() + value);
    rollup.setMin(Math.min(rollup.getMin(), value));
    rollup.setMax(Math.max(rollup.getMax(), value));
    if (ts < rollup.getFirstTimestamp()) {
      rollup.setFirst(value);
      rollup.setFirstTimestamp(ts);
    }
    if (ts >= rollup.getLastTimestamp()) {
      rollup.setLast(value);
      rollup.setLastTimestamp(ts);
    }
    if (CUMULATIVE.contains(sample.getType())) {
      counterStep(series, ts, value, rollup);
    }
    windows.put(key, rollup);
  }

  private void counterStep(String series, long ts, double value, Rollup rollup) {
    byte[] previous = last.get(series);
    if (previous != null) {
      ByteBuffer buffer = ByteBuffer.wrap(previous);
      long previousTs = buffer.getLong();
      double previousValue = buffer.getDouble();
      if (ts <= previousTs) {
        return; // out of order: counted above, adds nothing to the increase
      }
      if (rollup.getIncrease() == null) {
        rollup.setIncrease(0.0);
        rollup.setResets(0L);
      }
      if (value >= previousValue) {
        rollup.setIncrease(rollup.getIncrease() + (value - previousValue));
      } else {
        rollup.setIncrease(rollup.getIncrease() + value);
        rollup.setResets(rollup.getResets() + 1);
      }
    }
    last.put(series, ByteBuffer.allocate(16).putLong(ts).putDouble(value).array());
  }

  private void late(Record<String, SpecificRecord> record, MetricSample sample, long start) {
    drops.increment("late");
    String where = Coordinates.of(context.recordMetadata().orElse(null));
    String detail =
        "sample at "
            + sample.getTimestamp()
            + " belongs to the "
            + resolution.name()
            + " window starting "
            + start
            + ", closed at "
            + (start + resolution.size().toMillis() + grace.toMillis())
            + " (grace "
            + grace
            + "; this partition's stream time "
            + streamTime
            + ", watermark "
            + watermark
            + ")";
    if (lateLogged < LATE_LOG_LINES) {
      lateLogged++;
      LOG.info("Rejected late sample {} from {}: {}", record.key(), where, detail);
    } else {
      lateUnlogged++;
    }
    Rejected rejected =
        Rejected.newBuilder()
            .setReason(RejectReason.LATE)
            .setDetail(detail)
            .setSourceTopic(context.recordMetadata().map(m -> m.topic()).orElse(null))
            .setSourcePartition(context.recordMetadata().map(m -> m.partition()).orElse(null))
            .setSourceOffset(context.recordMetadata().map(m -> m.offset()).orElse(null))
            .setRejectedAt(context.currentSystemTimeMs())
            .setSample(sample)
            .build();
    context.forward(record.withValue((SpecificRecord) rejected), rejectedChild);
  }

  /** Emits and forgets every window that has closed. */
  void closeWindows(long wallClock) {
    if (lateUnlogged > 0) {
      LOG.info(
          "Rejected {} more late samples for {} windows (counted, in the rejected topic)",
          lateUnlogged,
          resolution.name());
    }
    lateLogged = 0;
    lateUnlogged = 0;
    // Idle: every check for IDLE_AFTER_MS saw no record, counted from the first check that saw
    // none. Counting from the last check that saw one would take a backlogged task for an idle one
    // after a stall of the stream thread (a long commit on a busy machine: one late check, with
    // nothing processed since the previous one); the load generator showed exactly that.
    if (sawRecord) {
      sawRecord = false;
      quietSince = Long.MAX_VALUE;
    } else if (quietSince == Long.MAX_VALUE) {
      quietSince = wallClock;
    }
    // And nothing waiting in the input partition: under load a task can go seconds without a
    // record while its partition is far behind (the load generator showed that too).
    boolean idle =
        quietSince != Long.MAX_VALUE
            && wallClock - quietSince >= Math.max(IDLE_AFTER_MS, 2 * checkInterval.toMillis())
            && !backlog.hasWaiting(inputTopic, context.taskId().partition());
    if (idle && !wasIdle) {
      LOG.debug(
          "Task {} quiet since {}: {} windows now close on the wall clock",
          context.taskId(),
          quietSince,
          resolution.name());
    }
    wasIdle = idle;
    long target = idle ? Math.max(streamTime, wallClock) : streamTime;
    watermark = Math.max(watermark, target);
    if (now() == Long.MIN_VALUE) {
      return; // nothing seen and not idle long enough yet
    }
    long size = resolution.size().toMillis();
    long lastClosableStart = now() - grace.toMillis() - size;
    if (lastClosableStart < 0) {
      return;
    }
    List<String> emitted = new ArrayList<>();
    try (KeyValueIterator<String, Rollup> it =
        windows.range(windowKey(0, ""), windowKey(lastClosableStart, "\uffff"))) {
      while (it.hasNext()) {
        KeyValue<String, Rollup> entry = it.next();
        Rollup rollup = entry.value;
        Record<String, SpecificRecord> out =
            new Record<>(rollup.getSeries(), (SpecificRecord) rollup, rollup.getWindowStart());
        context.forward(out, rollupChild);
        if (aggregateChild != null) {
          context.forward(out, aggregateChild);
        }
        emitted.add(entry.key);
      }
    }
    emitted.forEach(windows::delete);
    if (!emitted.isEmpty() && watermark > persistedWatermark) {
      // Only a watermark that closed windows must survive a restart (so that their late samples
      // are not taken for new windows and emitted again); a quiet task writes nothing each second.
      last.put(WATERMARK_KEY, ByteBuffer.allocate(8).putLong(watermark).array());
      persistedWatermark = watermark;
    }
    if (!emitted.isEmpty()) {
      drops.add("rollups_" + resolution.name(), emitted.size());
      LOG.debug(
          "Closed {} {} windows up to {}", emitted.size(), resolution.name(), lastClosableStart);
    }
  }

  private TreeMap<String, String> withoutReplicaLabels(MetricSample sample) {
    TreeMap<String, String> labels = new TreeMap<>(sample.getLabels());
    labels.keySet().removeAll(replicaLabels);
    return labels;
  }

  /** Keys sort by window start, then series: a closed prefix is one range scan. */
  static String windowKey(long start, String series) {
    return String.format("%019d|%s", start, series);
  }
}
