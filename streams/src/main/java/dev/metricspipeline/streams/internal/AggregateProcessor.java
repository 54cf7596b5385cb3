package dev.metricspipeline.streams.internal;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.streams.AggregationRule;
import dev.metricspipeline.streams.DropCounters;
import dev.metricspipeline.streams.StreamsSettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
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
 * Combines the per-series rollups of one group and window (see {@link AggregationRule} for what
 * each output is) and emits the group's output series once.
 *
 * <p><b>Closing.</b> Per-series windows close on each partition independently, so the group window
 * waits: it is emitted once wall-clock time has passed both its end plus the grace and its first
 * input's arrival, plus {@code settle}. A per-series rollup reaching a group window already emitted
 * is counted as {@code late_aggregate} and logged, and does not change it. Emitted windows are
 * remembered for {@code settle} plus one window size, so a straggler is recognised rather than
 * starting a second, partial group window.
 */
public final class AggregateProcessor implements Processor<String, Rollup, String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(AggregateProcessor.class);

  private final List<AggregationRule> rules;
  private final StreamsSettings.Resolution resolution;
  private final Duration grace;
  private final Duration settle;
  private final Duration checkInterval;
  private final String storeName;
  private final SeriesKey seriesKey;
  private final DropCounters drops;
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, State> store;

  public AggregateProcessor(
      List<AggregationRule> rules,
      StreamsSettings.Resolution resolution,
      Duration grace,
      Duration settle,
      Duration checkInterval,
      String storeName,
      SeriesKey seriesKey,
      DropCounters drops) {
    this.rules = List.copyOf(rules);
    this.resolution = resolution;
    this.grace = grace;
    this.settle = settle;
    this.checkInterval = checkInterval;
    this.storeName = storeName;
    this.seriesKey = seriesKey;
    this.drops = drops;
  }

  static String groupKey(int rule, String groupSeries) {
    return rule + "|" + groupSeries;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    context.schedule(checkInterval, PunctuationType.WALL_CLOCK_TIME, this::closeWindows);
  }

  @Override
  public void process(Record<String, Rollup> record) {
    Rollup in = record.value();
    String key = SeriesProcessor.dueKey(in.getWindowStart(), record.key());
    State state = store.get(key);
    if (state == null) {
      state = new State(in.getName(), new TreeMap<>(in.getLabels()), context.currentSystemTimeMs());
    } else if (state.emitted) {
      drops.increment("late_aggregate");
      LOG.info(
          "Per-series rollup {} ({} window {}) reached its group {} after the group was emitted;"
              + " not counted in it",
          in.getSeries(),
          resolution.name(),
          in.getWindowStart(),
          record.key());
      return;
    }
    state.add(in);
    store.put(key, state);
  }

  private void closeWindows(long now) {
    long size = resolution.size().toMillis();
    long lastClosableStart = now - grace.toMillis() - settle.toMillis() - size;
    if (lastClosableStart < 0) {
      return;
    }
    long forgetBefore = lastClosableStart - size - settle.toMillis();
    List<String> forget = new ArrayList<>();
    List<KeyValue<String, State>> emitted = new ArrayList<>();
    try (KeyValueIterator<String, State> it =
        store.range(
            SeriesProcessor.dueKey(0, ""), SeriesProcessor.dueKey(lastClosableStart, "\uffff"))) {
      while (it.hasNext()) {
        KeyValue<String, State> entry = it.next();
        long start = Long.parseLong(entry.key.substring(0, 19));
        State state = entry.value;
        if (state.emitted) {
          if (start < forgetBefore) {
            forget.add(entry.key);
          }
          continue;
        }
        if (state.firstArrivalMs + settle.toMillis() > now) {
          continue;
        }
        String group = entry.key.substring(20);
        emit(rules.get(Integer.parseInt(group.substring(0, group.indexOf('|')))), start, state);
        state.emitted = true;
        emitted.add(KeyValue.pair(entry.key, state));
      }
    }
    emitted.forEach(e -> store.put(e.key, e.value));
    forget.forEach(store::delete);
  }

  private void emit(AggregationRule rule, long start, State state) {
    long end = start + resolution.size().toMillis();
    for (AggregationRule.Output output : rule.orderedOutputs()) {
      double value;
      switch (output) {
        case SUM -> value = state.sumLast;
        case COUNT -> value = state.series;
        case MIN -> value = state.min;
        case MAX -> value = state.max;
        case AVG -> value = state.sumLast / state.series;
        case INCREASE -> {
          if (!state.hasIncrease) {
            continue;
          }
          value = state.increase;
        }
        default -> throw new IllegalStateException(output.toString());
      }
      String name = rule.outputName(state.metric, output);
      String series = seriesKey.idOf(name, state.labels);
      Rollup rollup =
          Rollup.newBuilder()
              .setSeries(series)
              .setName(name)
              .setLabels(state.labels)
              .setType(SampleType.GAUGE)
              .setResolution(resolution.name())
              .setWindowStart(start)
              .setWindowEnd(end)
              .setCount(1)
              .setSum(value)
              .setMin(value)
              .setMax(value)
              .setFirst(value)
              .setLast(value)
              .setFirstTimestamp(start)
              .setLastTimestamp(start)
              .build();
      context.forward(new Record<>(series, (SpecificRecord) rollup, start));
      drops.increment("aggregates_" + resolution.name());
    }
  }

  /** One group window being combined. */
  static final class State {
    final String metric;
    final TreeMap<String, String> labels;
    final long firstArrivalMs;
    long series;
    double sumLast;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    boolean hasIncrease;
    double increase;
    boolean emitted;

    State(String metric, TreeMap<String, String> labels, long firstArrivalMs) {
      this.metric = metric;
      this.labels = labels;
      this.firstArrivalMs = firstArrivalMs;
    }

    void add(Rollup in) {
      series++;
      sumLast += in.getLast();
      min = Math.min(min, in.getMin());
      max = Math.max(max, in.getMax());
      if (in.getIncrease() != null) {
        hasIncrease = true;
        increase += in.getIncrease();
      }
    }

    static Serde<State> serde() {
      return Serdes.serdeFrom(
          (topic, s) -> s == null ? null : s.encode(), (topic, b) -> b == null ? null : decode(b));
    }

    private byte[] encode() {
      try {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(1); // layout version
        out.writeUTF(metric);
        out.writeInt(labels.size());
        for (Map.Entry<String, String> e : labels.entrySet()) {
          out.writeUTF(e.getKey());
          out.writeUTF(e.getValue());
        }
        out.writeLong(firstArrivalMs);
        out.writeLong(series);
        out.writeDouble(sumLast);
        out.writeDouble(min);
        out.writeDouble(max);
        out.writeBoolean(hasIncrease);
        out.writeDouble(increase);
        out.writeBoolean(emitted);
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static State decode(byte[] b) {
      try {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
        int version = in.readByte();
        if (version != 1) {
          throw new IllegalStateException("unknown aggregate state layout " + version);
        }
        String metric = in.readUTF();
        int n = in.readInt();
        TreeMap<String, String> labels = new TreeMap<>();
        for (int i = 0; i < n; i++) {
          labels.put(in.readUTF(), in.readUTF());
        }
        State s = new State(metric, labels, in.readLong());
        s.series = in.readLong();
        s.sumLast = in.readDouble();
        s.min = in.readDouble();
        s.max = in.readDouble();
        s.hasIncrease = in.readBoolean();
        s.increase = in.readDouble();
        s.emitted = in.readBoolean();
        return s;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The serde of the group-window store. */
  public static Serde<?> stateSerde() {
    return State.serde();
  }
}
