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
import dev.metricspipeline.streams.internal.SeriesState.Window;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Bytes;
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
 * Deduplicates samples and rolls them up into every resolution at once, from one state entry per
 * series ({@link SeriesState}); emits each window when it closes and again, as a revision, when a
 * late sample changes it.
 *
 * <p><b>Stores</b> (all changelogged, no record cache): {@code series-state} (the hot entry: open
 * windows of every resolution, counter baseline, dedup memory), {@code series-meta} (name and
 * labels, written when a series is first seen, read when a window is emitted; also the task's
 * watermark), {@code series-due} ({@code <due time>|<series>}: when each series next has a window
 * to emit, so closing is one range scan) and {@code closed-windows} ({@code
 * <resolution>|<start>|<series>}: emitted windows, kept for grace plus allowed lateness so late
 * samples can revise them, then dropped) and {@code series-chunks} ({@code
 * <start>|<series>|<chunk>}: the oldest samples of a finest window, sealed {@value
 * SeriesState.Window#CHUNK} at a time once it holds {@code CHUNK + KEEP} so the hot entry does not
 * grow with the samples a window takes; read back only for a sample out of order by more than the
 * {@value SeriesState.Window#KEEP} newest, dropped with the window).
 *
 * <p><b>Dedup</b>, checked in this order, each drop counted by reason and logged:
 *
 * <ol>
 *   <li>{@code duplicate}: the series already has a sample at this time. The finest resolution's
 *       windows keep their sample times until they expire (grace plus allowed lateness after their
 *       end), so a replay or a retried batch is recognised before and after its window closed.
 *       Older than that, a sample is {@code LATE}.
 *   <li>{@code retried_push}: a sample stamped with its receive time whose push id (the gateway's
 *       {@code Idempotency-Key} or digest of grouping key and body) the series saw in the same or
 *       the previous {@code dedupInterval} bucket: a push retried after a lost answer.
 *   <li>{@code replica}: the sample carries a replica label (or {@code scraperReplica}) and the
 *       series already has a sample in the same {@code dedupInterval} bucket (aligned to the
 *       epoch). The first in log order wins; samples without a replica label are never dropped by
 *       it.
 * </ol>
 *
 * <p><b>Closing.</b> A window {@code [start, start + size)} is emitted when {@code start + size +
 * grace} is at or before the task's watermark: stream time (the largest sample time seen) while
 * records flow, the wall clock once the task is idle (no record for {@link #IDLE_AFTER_MS} and
 * {@link InputBacklog} says nothing waits), so a quiet partition's windows still close and a
 * backlog is rolled up in stream time. Checked every {@code closeCheckInterval}.
 *
 * <p><b>Late samples.</b> A sample whose finest window ended more than grace plus {@code
 * allowedLateness} before the watermark goes to {@code metrics.rejected} as {@code LATE}. One
 * within it updates its windows, emitted or not; an emitted window it changes is marked dirty and
 * the next check emits it once more with {@code revision} one higher, however many samples changed
 * it in between. A late sample for a window that never had one is emitted as that window's first
 * emission (revision 0).
 *
 * <p><b>Counters</b> (counter, histogram and summary sums and counts): the increase of a window is
 * the sum of the steps {@code a → b} between consecutive samples of the series with {@code b} in
 * the window, a step being {@code b - a}, or {@code b} when the counter went down (a reset, counted
 * in {@code resets}). The first sample of a series, and the first after a stale marker, only sets
 * the baseline. A sample {@code s} that arrives after its successor {@code n} is placed between its
 * neighbours {@code p} and {@code n}: the step {@code p → n} is taken out of {@code n}'s window and
 * {@code p → s} and {@code s → n} go in, so when {@code s} and {@code n} fall in different windows
 * the revision changes the next window's increase too, and both are re-emitted. Neighbours are
 * found in the finest windows' samples, so the result is the same as if every sample had come in
 * order, as long as the neighbours are within the allowed lateness.
 *
 * <p><b>Stale markers</b> clear the counter baseline (a restarted series is not a reset) and are
 * kept among the samples of their finest window, if it exists, so no step is counted across them.
 */
public final class SeriesProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(SeriesProcessor.class);
  private static final Set<SampleType> CUMULATIVE =
      EnumSet.of(
          SampleType.COUNTER,
          SampleType.HISTOGRAM_BUCKET,
          SampleType.HISTOGRAM_SUM,
          SampleType.HISTOGRAM_COUNT,
          SampleType.SUMMARY_SUM,
          SampleType.SUMMARY_COUNT);
  private static final SampleType[] TYPES = SampleType.values();

  /** How long a task must have processed nothing before the wall clock closes its windows. */
  public static final long IDLE_AFTER_MS = 5_000;

  /** Late samples logged one by one per check interval; the rest are summed up in one line. */
  private static final int LATE_LOG_LINES = 10;

  /** The key of the watermark in {@code series-meta}; no series key starts with NUL. */
  static final String WATERMARK_KEY = "\u0000watermark";

  /** The key of the next series number in {@code series-meta}. */
  static final String NUMBER_KEY = "\u0000next-series-number";

  private static final byte[] EMPTY = new byte[0];

  /** The store names, in the order {@link #stores()} lists them. */
  public static final String STATE = "series-state";

  public static final String META = "series-meta";
  public static final String DUE = "series-due";
  public static final String CLOSED = "closed-windows";
  public static final String CHUNKS = "series-chunks";

  private final List<StreamsSettings.Resolution> resolutions;
  private final long[] sizes;
  private final int finest;
  private final long grace;
  private final long lateness;
  private final long dedupInterval;
  private final long checkInterval;
  private final int heldBits;
  private final Set<String> replicaLabels;
  private final Map<String, String> rollupChildren;
  private final Map<String, String> aggregateChildren;
  private final String rejectedChild;
  private final DropCounters drops;
  private final String inputTopic;
  private final InputBacklog backlog;

  /**
   * Hot entries as they were last written to {@code series-state}, decoded ({@link HotEntries}:
   * least recently used first, admitted on a series' second sighting). Whatever leaves an entry
   * changed without writing it (a drop after chunks were loaded, a failure half-way) forgets it, so
   * one changed and not written is never seen again; a drop that changed nothing keeps it. The
   * store is the only truth, and this is emptied whenever the task (re)starts or closes. At most
   * {@link StreamsSettings#hotEntries()}.
   */
  private final HotEntries hot;

  private static final int INITIAL_SCRATCH = 4_096;

  /** A scratch grown past this by one large entry is dropped after it. */
  private static final int KEPT_SCRATCH = 256 * 1_024;

  /** Where {@link #save} encodes entries: {@link SeriesState#encode(SeriesState.Bytes)}. */
  private SeriesState.Bytes encoded = new SeriesState.Bytes(INITIAL_SCRATCH);

  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, byte[]> state;
  private KeyValueStore<String, byte[]> meta;
  private KeyValueStore<String, byte[]> due;
  private KeyValueStore<Bytes, byte[]> closed;
  private KeyValueStore<Bytes, byte[]> sealed;
  private long nextSeriesNumber;
  private long streamTime = Long.MIN_VALUE;
  private long watermark = Long.MIN_VALUE;
  private long persistedWatermark = Long.MIN_VALUE;
  private boolean sawRecord;
  // Whether this record loaded sealed chunks into a window (which the entry as stored has not).
  private boolean unsealed;
  private long quietSince = Long.MAX_VALUE;
  private int lateLogged;
  private long lateUnlogged;

  /**
   * @param rollupChildren the sink of each resolution, by resolution name
   * @param aggregateChildren the aggregation route of each resolution, by name; empty without rules
   */
  public SeriesProcessor(
      StreamsSettings settings,
      Map<String, String> rollupChildren,
      Map<String, String> aggregateChildren,
      String rejectedChild,
      DropCounters drops,
      InputBacklog backlog) {
    this.hot = new HotEntries(settings.hotEntries());
    this.resolutions = settings.resolutions();
    this.sizes = resolutions.stream().mapToLong(r -> r.size().toMillis()).toArray();
    int f = 0;
    for (int i = 1; i < sizes.length; i++) {
      if (sizes[i] < sizes[f]) {
        f = i;
      }
    }
    this.finest = f;
    this.grace = settings.grace().toMillis();
    this.lateness = settings.allowedLateness().toMillis();
    this.dedupInterval = settings.dedupInterval().toMillis();
    this.checkInterval = settings.closeCheckInterval().toMillis();
    // The finest windows a late sample can reach, plus the open ones and one to spare.
    this.heldBits = (int) Math.min(1 << 20, (grace + lateness) / sizes[finest] + 3);
    this.replicaLabels = Set.copyOf(settings.replicaLabels());
    this.rollupChildren = Map.copyOf(rollupChildren);
    this.aggregateChildren = Map.copyOf(aggregateChildren);
    this.rejectedChild = rejectedChild;
    this.drops = drops;
    this.inputTopic = settings.samplesTopic();
    this.backlog = backlog;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    hot.clear(); // a revived task's stores are back at their last commit
    this.context = context;
    this.state = context.getStateStore(STATE);
    this.meta = context.getStateStore(META);
    this.due = context.getStateStore(DUE);
    this.closed = context.getStateStore(CLOSED);
    this.sealed = context.getStateStore(CHUNKS);
    byte[] number = meta.get(NUMBER_KEY);
    nextSeriesNumber = number == null ? 0 : ByteBuffer.wrap(number).getLong();
    byte[] stored = meta.get(WATERMARK_KEY);
    if (stored != null) {
      watermark = ByteBuffer.wrap(stored).getLong();
      persistedWatermark = watermark;
    }
    context.schedule(
        java.time.Duration.ofMillis(checkInterval), PunctuationType.WALL_CLOCK_TIME, this::check);
  }

  @Override
  public void close() {
    hot.clear();
  }

  private long now() {
    return Math.max(streamTime, watermark);
  }

  /**
   * The series' hot entry, from {@link #hot} or decoded; null if it has none. Unless it is then
   * saved, the caller must {@link #forget} it.
   */
  private SeriesState take(String series) {
    SeriesState s = hot.get(series);
    if (s != null) {
      return s;
    }
    byte[] bytes = state.get(series);
    return bytes == null ? null : SeriesState.decode(bytes);
  }

  /** Drops a hot entry that may have been changed and not written. */
  private void forget(String series) {
    hot.forget(series);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    try {
      processSample(record);
    } catch (RuntimeException e) {
      forget(record.key());
      throw e;
    }
  }

  private void processSample(Record<String, SpecificRecord> record) {
    MetricSample sample = (MetricSample) record.value();
    String series = record.key();
    sawRecord = true;
    long ts = sample.getTimestamp();
    double value = sample.getValue();
    long fsize = sizes[finest];
    long fstart = Math.floorDiv(ts, fsize) * fsize;
    if (fstart + fsize + grace + lateness <= now()) {
      late(record, sample, fstart);
      return;
    }
    pendingClosed.clear();
    unsealed = false;
    SeriesState s = take(series);
    boolean stored = s != null;
    if (s == null) {
      if (StaleMarker.isStale(value)) {
        return; // nothing to end
      }
      s = new SeriesState();
      s.number = nextSeriesNumber++;
      meta.put(NUMBER_KEY, ByteBuffer.allocate(8).putLong(nextSeriesNumber).array());
      meta.put(series, encodeMeta(sample.getName(), sample.getLabels()));
    }
    int type = sample.getType().ordinal(); // set on the entry only when it is saved
    Window f = finestWindow(s, series, fstart);
    if (f != null) {
      samplesAround(f, s.number, ts);
    }
    if (StaleMarker.isStale(value)) {
      s.type = type;
      if (ts > s.lastTs) {
        s.lastTs = ts;
        s.hasLast = false;
      }
      if (f != null && !f.hasSample(ts)) {
        f.insertSample(ts, value); // a closed f is written back by save()
      }
      save(series, s);
      return;
    }
    if (f != null && f.hasSample(ts)) {
      drop("duplicate", series, stored ? s : null, ts);
      return;
    }
    long bucket = Math.floorDiv(ts, dedupInterval) * dedupInterval;
    if (sample.getPushId() != null && ts == sample.getIngestTimestamp()) {
      long digest = digest(sample.getPushId());
      if (s.seenPush(bucket, dedupInterval, digest)) {
        drop("retried_push", series, stored ? s : null, ts);
        return;
      }
      s.rememberPush(bucket, dedupInterval, digest);
    }
    if (isReplica(sample) && replicaSampleIn(s, series, bucket, bucket + dedupInterval)) {
      if (sample.getPushId() != null) {
        drop("replica", series, null, ts);
        s.type = type;
        save(series, s); // the push id is remembered all the same
      } else {
        drop("replica", series, stored ? s : null, ts);
      }
      return;
    }
    s.type = type;
    streamTime = Math.max(streamTime, ts);
    rollUp(series, s, f, ts, value, CUMULATIVE.contains(sample.getType()));
    save(series, s);
  }

  /**
   * Adds one sample (not a duplicate, not a stale marker) to its window of every resolution.
   *
   * @param f the sample's finest window, or null if the series has no sample in it yet
   */
  private void rollUp(
      String series, SeriesState s, Window f, long ts, double value, boolean counter) {
    boolean inOrder = ts > s.lastTs;
    long fstart = Math.floorDiv(ts, sizes[finest]) * sizes[finest];
    // The neighbours: p before ts (the baseline), n after it (only for a sample out of order).
    boolean hasP = false;
    long pTs = 0;
    double pValue = 0;
    Window nWindow = null; // the finest window holding n
    int nIndex = -1;
    if (inOrder) {
      if (s.hasLast) {
        hasP = true;
        pTs = s.lastTs;
        pValue = s.lastValue;
      }
    } else {
      int at = f == null ? -1 : -f.find(ts) - 1;
      if (f != null && at < f.n) {
        nWindow = f;
        nIndex = at;
      } else {
        nWindow = nextFinestWindow(s, series, fstart);
        nIndex = 0;
        if (nWindow != null) {
          samplesAround(nWindow, s.number, Long.MIN_VALUE); // its first sample
        }
      }
      if (f != null && at > 0) {
        hasP = true;
        pTs = f.time(at - 1);
        pValue = f.value(at - 1);
      } else {
        Window holder = f != null && f.n > 0 ? f : nWindow;
        if (holder != null && holder.hasPrev && holder.prevTs < ts) {
          hasP = true;
          pTs = holder.prevTs;
          pValue = holder.prevValue;
        }
      }
    }
    boolean hasN = nWindow != null && nIndex < nWindow.n;
    long nTs = hasN ? nWindow.time(nIndex) : 0;
    double nValue = hasN ? nWindow.value(nIndex) : 0;

    for (int r = 0; r < sizes.length; r++) {
      long start = Math.floorDiv(ts, sizes[r]) * sizes[r];
      Window w = window(s, series, r, start, counter);
      w.add(ts, value);
      if (counter && hasP) {
        w.addStep(pValue, value, 1);
      }
      if (r == finest) {
        boolean newFirst = w.beforeFirst(ts);
        w.insertSample(ts, value);
        s.markHeld(start, sizes[r], heldBits);
        if (newFirst) {
          w.hasPrev = hasP;
          w.prevTs = pTs;
          w.prevValue = pValue;
        }
      }
      if (counter && hasN) {
        long nStart = Math.floorDiv(nTs, sizes[r]) * sizes[r];
        Window wn = nStart == start ? w : window(s, series, r, nStart, counter);
        if (hasP) {
          wn.addStep(pValue, nValue, -1);
        }
        wn.addStep(value, nValue, 1);
        if (wn != w) {
          changed(s, wn);
        }
      }
      changed(s, w);
    }
    if (hasN && nWindow.start != fstart && nIndex == 0) {
      nWindow.hasPrev = true;
      nWindow.prevTs = ts;
      nWindow.prevValue = value;
      changed(s, nWindow);
    }
    if (inOrder) {
      s.hasLast = true; // the baseline of the next in-order sample
      s.lastTs = ts;
      s.lastValue = value;
    }
  }

  /**
   * The window of resolution {@code r} starting at {@code start}: open in the hot entry, emitted in
   * {@code closed-windows}, or new (open if it has not closed yet, else emitted-to-be: a late
   * sample's window that never had a sample is emitted by the next check as its first emission).
   */
  private Window window(SeriesState s, String series, int r, long start, boolean counter) {
    Window w = s.open(r, start);
    if (w != null) {
      return w;
    }
    // A window is moved to closed-windows when its end + grace is behind the watermark; one not
    // yet there (or, for the finest, one the series never had a sample in) needs no store read.
    boolean maybeClosed =
        start + sizes[r] + grace <= now() && (r != finest || s.isHeld(start, sizes[r]));
    w = maybeClosed ? loadClosed(s, r, start) : null;
    if (w != null) {
      return w;
    }
    w = new Window(r, start, counter, r == finest);
    if (start + sizes[r] + grace > now()) {
      s.open.add(w);
    } else {
      w.emitted = -1; // a closed window never emitted: marked dirty by changed()
      pendingClosed.put(closedKey(r, start, s.number), w);
    }
    return w;
  }

  /** Closed windows loaded or created while processing one record, written back by save(). */
  private final Map<Bytes, Window> pendingClosed = new java.util.HashMap<>();

  private Window loadClosed(SeriesState s, int r, long start) {
    Bytes key = closedKey(r, start, s.number);
    Window w = pendingClosed.get(key);
    if (w != null) {
      return w;
    }
    byte[] bytes = closed.get(key);
    if (bytes == null) {
      return null;
    }
    w = Window.decode(bytes);
    pendingClosed.put(key, w);
    return w;
  }

  /** The finest window at {@code start} if the series has a sample in it, else null. */
  private Window finestWindow(SeriesState s, String series, long start) {
    Window w = s.open(finest, start);
    if (w != null || !s.isHeld(start, sizes[finest])) {
      return w;
    }
    return loadClosed(s, finest, start);
  }

  /** The first finest window after {@code start} that holds a sample, or null. */
  private Window nextFinestWindow(SeriesState s, String series, long start) {
    long next = s.nextHeld(start, sizes[finest]);
    return next == Long.MIN_VALUE ? null : finestWindow(s, series, next);
  }

  private void changed(SeriesState s, Window w) {
    if (s.open.contains(w)) {
      return;
    }
    s.markDirty(w.resolution, w.start);
  }

  /**
   * Loads a finest window's sealed samples into it if a sample at {@code ts} may fall among them
   * (at or before the first of its tail); {@link #seal} puts them back.
   */
  private void samplesAround(Window w, long number, long ts) {
    if (!w.needsChunks(ts)) {
      return;
    }
    unsealed = true;
    byte[][] stored = new byte[w.chunks][];
    for (int c = 0; c < w.chunks; c++) {
      stored[c] = sealed.get(chunkKey(w.start, number, c));
      if (stored[c] == null) {
        throw new IllegalStateException(
            "sample chunk "
                + c
                + " of the window at "
                + w.start
                + " of series "
                + number
                + " is missing from "
                + CHUNKS);
      }
    }
    w.unseal(stored);
  }

  /**
   * Before a finest window is written back: loaded chunks before the first changed sample are
   * forgotten again (they are still in the store), the rest are written anew, and a tail of {@code
   * CHUNK + KEEP} samples or more seals its oldest into new chunks. Every chunk holds {@code CHUNK}
   * samples, so chunk {@code c} holds the samples from index {@code c * CHUNK}.
   */
  private void seal(Window w, long number) {
    if (!w.keepsSamples) {
      return;
    }
    int before = w.loadedChunks;
    if (before > 0) {
      int kept = Math.min(before, w.firstChanged / Window.CHUNK);
      w.dropFirst(kept * Window.CHUNK);
      w.chunks = kept;
    }
    while (w.n >= Window.CHUNK + Window.KEEP) {
      sealed.put(chunkKey(w.start, number, w.chunks), w.encodeChunk(Window.CHUNK));
      w.dropFirst(Window.CHUNK);
      w.chunks++;
    }
    for (int c = w.chunks; c < before; c++) {
      sealed.delete(chunkKey(w.start, number, c));
    }
    w.loadedChunks = 0;
    w.firstChanged = Integer.MAX_VALUE;
  }

  /** Writes the hot entry, every closed window touched, and refiles the series by due time. */
  private void save(String series, SeriesState s) {
    for (Window w : s.open) {
      seal(w, s.number);
    }
    for (Map.Entry<Bytes, Window> e : pendingClosed.entrySet()) {
      seal(e.getValue(), s.number);
      closed.put(e.getKey(), e.getValue().encode());
    }
    pendingClosed.clear();
    refile(series, s);
    state.put(series, s.encode(encoded));
    if (encoded.capacity() > KEPT_SCRATCH) {
      encoded = new SeriesState.Bytes(INITIAL_SCRATCH); // one entry's outlier is not kept
    }
    hot.keep(series, s);
  }

  private void refile(String series, SeriesState s) {
    long next = Long.MAX_VALUE;
    if (!s.dirty.isEmpty()) {
      next = 0;
    } else {
      for (Window w : s.open) {
        next = Math.min(next, w.start + sizes[w.resolution] + grace);
      }
    }
    if (next != s.dueAt) {
      if (s.dueAt != Long.MAX_VALUE) {
        due.delete(dueKey(s.dueAt, series));
      }
      if (next != Long.MAX_VALUE) {
        due.put(dueKey(next, series), EMPTY);
      }
      s.dueAt = next;
    }
  }

  /** Whether the series already has a sample (not a stale marker) in {@code [from, to)}. */
  private boolean replicaSampleIn(SeriesState s, String series, long from, long to) {
    long fsize = sizes[finest];
    for (long at = Math.floorDiv(from, fsize) * fsize; at < to; at += fsize) {
      Window w = finestWindow(s, series, at);
      if (w != null) {
        samplesAround(w, s.number, from);
      }
      if (w != null && w.hasSampleIn(from, to)) {
        return true;
      }
    }
    return false;
  }

  private boolean isReplica(MetricSample sample) {
    if (sample.getScraperReplica() != null) {
      return true;
    }
    for (String label : replicaLabels) {
      if (sample.getLabels().containsKey(label)) {
        return true;
      }
    }
    return false;
  }

  /** A 64-bit FNV-1a digest of a push id: collisions within one series and bucket are moot. */
  static long digest(String pushId) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < pushId.length(); i++) {
      h ^= pushId.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** Emits what is due, drops what expired. */
  void check(long wallClock) {
    pendingClosed.clear();
    if (lateUnlogged > 0) {
      LOG.info("Rejected {} more late samples (counted, in the rejected topic)", lateUnlogged);
    }
    lateLogged = 0;
    lateUnlogged = 0;
    // Idle: every check for IDLE_AFTER_MS saw no record, counted from the first check that saw
    // none (a stall of the stream thread is not a quiet partition), and nothing waits in the input.
    if (sawRecord) {
      sawRecord = false;
      quietSince = Long.MAX_VALUE;
    } else if (quietSince == Long.MAX_VALUE) {
      quietSince = wallClock;
    }
    boolean idle =
        quietSince != Long.MAX_VALUE
            && wallClock - quietSince >= Math.max(IDLE_AFTER_MS, 2 * checkInterval)
            && !backlog.hasWaiting(inputTopic, context.taskId().partition());
    long target = idle ? Math.max(streamTime, wallClock) : streamTime;
    watermark = Math.max(watermark, target);
    long now = now();
    if (now == Long.MIN_VALUE) {
      return;
    }
    List<String> dueSeries = new ArrayList<>();
    List<String> dueKeys = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = due.range(dueKey(0, ""), dueKey(now, "\uffff"))) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> e = it.next();
        dueKeys.add(e.key);
        dueSeries.add(e.key.substring(20));
      }
    }
    int[] emitted = new int[sizes.length];
    int[] revised = new int[sizes.length];
    for (int i = 0; i < dueSeries.size(); i++) {
      String series = dueSeries.get(i);
      SeriesState s = take(series);
      if (s == null) {
        due.delete(dueKeys.get(i));
        continue;
      }
      try {
        emitDue(series, s, now, emitted, revised);
        save(series, s);
      } catch (RuntimeException e) {
        forget(series);
        throw e;
      }
    }
    boolean closedAny = false;
    for (int r = 0; r < sizes.length; r++) {
      if (emitted[r] + revised[r] > 0) {
        closedAny = true;
        drops.add("rollups_" + resolutions.get(r).name(), emitted[r]);
        drops.add("revisions_" + resolutions.get(r).name(), revised[r]);
        LOG.debug(
            "Emitted {} {} windows and {} revisions up to {}",
            emitted[r],
            resolutions.get(r).name(),
            revised[r],
            now);
      }
      expire(r, now);
    }
    if (closedAny && watermark > persistedWatermark) {
      meta.put(WATERMARK_KEY, ByteBuffer.allocate(8).putLong(watermark).array());
      persistedWatermark = watermark;
    }
  }

  private void emitDue(String series, SeriesState s, long now, int[] emitted, int[] revised) {
    Meta m = null;
    List<Window> closing = new ArrayList<>();
    for (Window w : s.open) {
      if (w.start + sizes[w.resolution] + grace <= now) {
        closing.add(w);
      }
    }
    closing.sort((a, b) -> Long.compare(a.start, b.start));
    for (Window w : closing) {
      m = m != null ? m : readMeta(series);
      emit(series, m, s, w);
      emitted[w.resolution]++;
      s.open.remove(w);
      pendingClosed.put(closedKey(w.resolution, w.start, s.number), w);
    }
    s.dirty.sort((a, b) -> a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[0], b[0]));
    for (long[] d : s.dirty) {
      int r = (int) d[0];
      Window w = loadClosed(s, r, d[1]);
      if (w == null) {
        continue; // expired before it could be emitted again
      }
      if (w.emitted < 0) {
        w.emitted = 0;
        emitted[r]++;
      } else {
        revised[r]++;
      }
      m = m != null ? m : readMeta(series);
      emit(series, m, s, w);
    }
    s.dirty.clear();
  }

  private void emit(String series, Meta m, SeriesState s, Window w) {
    if (w.emitted < 0) {
      w.emitted = 0;
    }
    SampleType type = TYPES[s.type];
    StreamsSettings.Resolution resolution = resolutions.get(w.resolution);
    Rollup rollup =
        Rollup.newBuilder()
            .setSeries(series)
            .setName(m.name)
            .setLabels(m.labels)
            .setType(type)
            .setResolution(resolution.name())
            .setWindowStart(w.start)
            .setWindowEnd(w.start + sizes[w.resolution])
            .setCount(w.count)
            .setSum(w.sum)
            .setMin(w.min)
            .setMax(w.max)
            .setFirst(w.first)
            .setLast(w.last)
            .setFirstTimestamp(w.firstTs)
            .setLastTimestamp(w.lastTs)
            .setIncrease(w.counter ? w.increase : null)
            .setResets(w.counter ? w.resets : null)
            .setRevision(w.emitted)
            .build();
    Record<String, SpecificRecord> out = new Record<>(series, rollup, w.start);
    context.forward(out, rollupChildren.get(resolution.name()));
    String aggregate = aggregateChildren.get(resolution.name());
    if (aggregate != null && w.emitted == 0) {
      context.forward(out, aggregate);
    }
    w.emitted++;
  }

  /** Drops emitted windows of resolution {@code r} that no late sample may change any more. */
  private void expire(int r, long now) {
    long lastExpired = now - grace - lateness - sizes[r];
    if (lastExpired < 0) {
      return;
    }
    deleteRange(closed, closedKey(r, 0, 0), closedKey(r, lastExpired, -1));
    if (r == finest) {
      deleteRange(sealed, chunkKey(0, 0, 0), chunkKey(lastExpired, -1, -1));
    }
  }

  /** Deletes every key in {@code [from, to]}; keys are collected first, then deleted. */
  private static void deleteRange(KeyValueStore<Bytes, byte[]> store, Bytes from, Bytes to) {
    List<Bytes> gone = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = store.range(from, to)) {
      while (it.hasNext()) {
        gone.add(it.next().key);
      }
    }
    gone.forEach(store::delete);
  }

  private void late(Record<String, SpecificRecord> record, MetricSample sample, long start) {
    drops.increment("late");
    String where = Coordinates.of(context.recordMetadata().orElse(null));
    String detail =
        "sample at "
            + sample.getTimestamp()
            + " belongs to the "
            + resolutions.get(finest).name()
            + " window starting "
            + start
            + ", which took late samples until "
            + (start + sizes[finest] + grace + lateness)
            + " (grace "
            + java.time.Duration.ofMillis(grace)
            + " + allowed lateness "
            + java.time.Duration.ofMillis(lateness)
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

  /**
   * Counts and logs a dropped sample. {@code unchanged} is the series' entry as read from the store
   * or {@link #hot}, if nothing since has changed it: it stays (or becomes) hot, so the series'
   * next sample skips the store and the decode (a replica pair's every other sample is a drop, as
   * is every sample of a replay). Otherwise (null) the hot entry is forgotten, unless the caller
   * saves it again. It is forgotten too when this record loaded sealed chunks into a window: that
   * entry would still be written right by its next save ({@link #seal} puts them back), but would
   * hold the loaded samples in the heap until then.
   */
  private void drop(String reason, String series, SeriesState unchanged, long ts) {
    if (unchanged != null && !unsealed) {
      hot.keep(series, unchanged);
    } else {
      forget(series);
    }
    drops.increment(reason);
    LOG.debug(
        "Dropped {} {}@{} from {}",
        reason,
        series,
        ts,
        Coordinates.of(context.recordMetadata().orElse(null)));
  }

  /**
   * Keys sort by time, then series: what is due is one range scan. The time is 19 digits, zero
   * padded ({@code %019d|%s}, the keys' format since the store's first layout), written without
   * {@link String#format}, which was 6% of the stream thread's CPU samples in {@code StreamsLoad}
   * at 1,000,000 series (a key made for every series' first sample).
   */
  static String dueKey(long at, String series) {
    if (at < 0) {
      return String.format("%019d|%s", at, series); // never a due time; kept as it always was
    }
    String digits = Long.toString(at);
    StringBuilder key = new StringBuilder(20 + series.length());
    for (int i = digits.length(); i < 19; i++) {
      key.append('0');
    }
    return key.append(digits).append('|').append(series).toString();
  }

  /**
   * 17 bytes: the resolution's index, the window start and the series' number, big-endian, so one
   * resolution's windows sort by start (expiry is one range scan). The series number is given when
   * a task first sees a series ({@link SeriesState#number}); the series id, 60 bytes or more, would
   * make up most of this store.
   */
  static Bytes closedKey(int r, long start, long number) {
    return Bytes.wrap(ByteBuffer.allocate(17).put((byte) r).putLong(start).putLong(number).array());
  }

  /**
   * 20 bytes: the finest window's start, the series' number and the chunk's, big-endian, so chunks
   * sort by window start (they expire with their window in one range scan).
   */
  static Bytes chunkKey(long start, long number, int chunk) {
    return Bytes.wrap(ByteBuffer.allocate(20).putLong(start).putLong(number).putInt(chunk).array());
  }

  private record Meta(String name, TreeMap<String, String> labels) {}

  private byte[] encodeMeta(String name, Map<String, String> labels) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(1);
      out.writeUTF(name);
      int n = 0;
      for (String k : labels.keySet()) {
        n += replicaLabels.contains(k) ? 0 : 1;
      }
      out.writeInt(n);
      for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
        if (!replicaLabels.contains(e.getKey())) {
          writeString(out, e.getKey());
          writeString(out, e.getValue());
        }
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private Meta readMeta(String series) {
    byte[] bytes = meta.get(series);
    if (bytes == null) {
      throw new IllegalStateException("no name and labels stored for series " + series);
    }
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      int layout = in.readByte();
      if (layout != 1) {
        throw new IllegalStateException("unknown series meta layout " + layout);
      }
      String name = in.readUTF();
      int n = in.readInt();
      TreeMap<String, String> labels = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        labels.put(readString(in), readString(in));
      }
      return new Meta(name, labels);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
