package dev.metricspipeline.push;

import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.cumulative.CumulativeCounter;
import io.micrometer.core.instrument.cumulative.CumulativeDistributionSummary;
import io.micrometer.core.instrument.cumulative.CumulativeFunctionCounter;
import io.micrometer.core.instrument.cumulative.CumulativeFunctionTimer;
import io.micrometer.core.instrument.cumulative.CumulativeTimer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.internal.DefaultGauge;
import io.micrometer.core.instrument.internal.DefaultLongTaskTimer;
import io.micrometer.core.instrument.internal.DefaultMeter;
import io.micrometer.core.instrument.push.PushMeterRegistry;
import io.micrometer.core.instrument.push.PushRegistryConfig;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Micrometer registry that publishes an application's meters to {@code metrics.samples} every
 * {@code step}, straight to Kafka through {@link MetricsPublisher}: no gateway, no scrape.
 *
 * <p>Names and tags follow Prometheus' conventions ({@code http.requests} counter → {@code
 * http_requests_total}; timers in seconds as {@code _count}, {@code _sum} and {@code _max}). Values
 * are cumulative, as a scrape would see them, so a failed publish loses nothing but that step's
 * resolution; failures are logged and counted ({@link #failedPublishes()}). Every sample carries
 * the group labels (at least {@code job}) and origin {@code PUSH_CLIENT}.
 *
 * <pre>{@code
 * MetricsPublisher publisher =
 *     MetricsPublisher.start(PublisherConfig.defaults(KafkaConnection.of(bootstrap), registry));
 * MetricsPipelineMeterRegistry meters =
 *     MetricsPipelineMeterRegistry.start(publisher, Duration.ofSeconds(15), Map.of("job", "billing"));
 * Metrics.addRegistry(meters);
 * }</pre>
 */
public final class MetricsPipelineMeterRegistry extends PushMeterRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(MetricsPipelineMeterRegistry.class);

  private final Function<List<MetricSample>, CompletableFuture<Void>> sink;
  private final Map<String, String> groupLabels;
  private final String pushGroup;
  private final Duration step;
  private final AtomicLong failed = new AtomicLong();

  /**
   * A registry that is not yet publishing; call {@link #start(java.util.concurrent.ThreadFactory)}
   * or use {@link #start(MetricsPublisher, Duration, Map)}.
   *
   * @param sink where samples go; its future completes when they are durable
   * @param groupLabels labels on every sample; must contain {@code job}
   */
  public MetricsPipelineMeterRegistry(
      Function<List<MetricSample>, CompletableFuture<Void>> sink,
      Duration step,
      Map<String, String> groupLabels,
      Clock clock) {
    super(config(step), clock);
    if (groupLabels.getOrDefault("job", "").isBlank()) {
      throw new IllegalArgumentException("group labels must contain a non-empty job");
    }
    this.sink = sink;
    this.step = step;
    this.groupLabels = Map.copyOf(new TreeMap<>(groupLabels));
    StringBuilder group = new StringBuilder();
    new TreeMap<>(groupLabels)
        .forEach(
            (k, v) ->
                group
                    .append(group.length() == 0 ? "" : ",")
                    .append(k)
                    .append("=\"")
                    .append(v)
                    .append('"'));
    this.pushGroup = group.toString();
    config().namingConvention(new PrometheusNamingConvention());
  }

  /** A registry publishing through {@code publisher} every {@code step}, started. */
  public static MetricsPipelineMeterRegistry start(
      MetricsPublisher publisher, Duration step, Map<String, String> groupLabels) {
    MetricsPipelineMeterRegistry registry =
        new MetricsPipelineMeterRegistry(publisher::publish, step, groupLabels, Clock.SYSTEM);
    registry.start(
        r -> {
          Thread t = new Thread(r, "metrics-pipeline-meter-publisher");
          t.setDaemon(true);
          return t;
        });
    return registry;
  }

  private static PushRegistryConfig config(Duration step) {
    return new PushRegistryConfig() {
      @Override
      public String prefix() {
        return "metricspipeline";
      }

      @Override
      public String get(String key) {
        return null;
      }

      @Override
      public Duration step() {
        return step;
      }
    };
  }

  /** Publishes that failed so far. */
  public long failedPublishes() {
    return failed.get();
  }

  @Override
  protected void publish() {
    long now = clock.wallTime();
    List<MetricSample> samples = new ArrayList<>();
    for (Meter meter : getMeters()) {
      String name = getConventionName(meter.getId());
      Map<String, String> labels = new TreeMap<>();
      for (Tag tag : getConventionTags(meter.getId())) {
        labels.put(tag.getKey(), tag.getValue());
      }
      labels.putAll(groupLabels);
      meter.use(
          gauge -> add(samples, name, labels, SampleType.GAUGE, gauge.value(), now),
          counter -> add(samples, total(name), labels, SampleType.COUNTER, counter.count(), now),
          timer ->
              summary(
                  samples,
                  name,
                  labels,
                  timer.count(),
                  timer.totalTime(TimeUnit.SECONDS),
                  timer.max(TimeUnit.SECONDS),
                  now),
          summary ->
              summary(
                  samples,
                  name,
                  labels,
                  summary.count(),
                  summary.totalAmount(),
                  summary.max(),
                  now),
          ltt -> {
            add(samples, name + "_active_count", labels, SampleType.GAUGE, ltt.activeTasks(), now);
            add(
                samples,
                name + "_duration_sum",
                labels,
                SampleType.GAUGE,
                ltt.duration(TimeUnit.SECONDS),
                now);
          },
          timeGauge ->
              add(samples, name, labels, SampleType.GAUGE, timeGauge.value(TimeUnit.SECONDS), now),
          functionCounter ->
              add(samples, total(name), labels, SampleType.COUNTER, functionCounter.count(), now),
          functionTimer ->
              summary(
                  samples,
                  name,
                  labels,
                  (long) functionTimer.count(),
                  functionTimer.totalTime(TimeUnit.SECONDS),
                  Double.NaN,
                  now),
          other -> {
            for (Measurement m : other.measure()) {
              add(
                  samples,
                  name + "_" + m.getStatistic().getTagValueRepresentation(),
                  labels,
                  SampleType.UNTYPED,
                  m.getValue(),
                  now);
            }
          });
    }
    if (samples.isEmpty()) {
      return;
    }
    try {
      sink.apply(samples).get(Math.max(10, step.toSeconds()), TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      failed.incrementAndGet();
      LOG.warn(
          "Publishing {} meter samples failed; the next step sends current values: {}",
          samples.size(),
          e.toString());
    } catch (InterruptedException e) {
      failed.incrementAndGet();
      Thread.currentThread().interrupt();
    }
  }

  /** Counters carry _total, as the Prometheus client adds it at exposition. */
  private static String total(String name) {
    return name.endsWith("_total") ? name : name + "_total";
  }

  private void summary(
      List<MetricSample> out,
      String name,
      Map<String, String> labels,
      long count,
      double sum,
      double max,
      long now) {
    add(out, name + "_count", labels, SampleType.SUMMARY_COUNT, count, now);
    add(out, name + "_sum", labels, SampleType.SUMMARY_SUM, sum, now);
    if (!Double.isNaN(max)) {
      add(out, name + "_max", labels, SampleType.GAUGE, max, now);
    }
  }

  private void add(
      List<MetricSample> out,
      String name,
      Map<String, String> labels,
      SampleType type,
      double value,
      long now) {
    if (Double.isNaN(value) && type != SampleType.GAUGE) {
      return;
    }
    out.add(
        MetricSample.newBuilder()
            .setName(name)
            .setLabels(new TreeMap<>(labels))
            .setType(type)
            .setValue(value)
            .setTimestamp(now)
            .setIngestTimestamp(now)
            .setOrigin(Origin.PUSH_CLIENT)
            .setPushGroup(pushGroup)
            .setSource("micrometer")
            .build());
  }

  @Override
  protected <T> Gauge newGauge(Meter.Id id, T obj, ToDoubleFunction<T> valueFunction) {
    return new DefaultGauge<>(id, obj, valueFunction);
  }

  @Override
  protected Counter newCounter(Meter.Id id) {
    return new CumulativeCounter(id);
  }

  @Override
  protected LongTaskTimer newLongTaskTimer(Meter.Id id, DistributionStatisticConfig config) {
    return new DefaultLongTaskTimer(id, clock, getBaseTimeUnit(), config, false);
  }

  @Override
  protected Timer newTimer(
      Meter.Id id, DistributionStatisticConfig config, PauseDetector pauseDetector) {
    return new CumulativeTimer(id, clock, config, pauseDetector, getBaseTimeUnit());
  }

  @Override
  protected DistributionSummary newDistributionSummary(
      Meter.Id id, DistributionStatisticConfig config, double scale) {
    return new CumulativeDistributionSummary(id, clock, config, scale, false);
  }

  @Override
  protected Meter newMeter(Meter.Id id, Meter.Type type, Iterable<Measurement> measurements) {
    return new DefaultMeter(id, type, measurements);
  }

  @Override
  protected <T> FunctionTimer newFunctionTimer(
      Meter.Id id,
      T obj,
      ToLongFunction<T> countFunction,
      ToDoubleFunction<T> totalTimeFunction,
      TimeUnit unit) {
    return new CumulativeFunctionTimer<>(
        id, obj, countFunction, totalTimeFunction, unit, getBaseTimeUnit());
  }

  @Override
  protected <T> FunctionCounter newFunctionCounter(
      Meter.Id id, T obj, ToDoubleFunction<T> countFunction) {
    return new CumulativeFunctionCounter<>(id, obj, countFunction);
  }

  @Override
  protected TimeUnit getBaseTimeUnit() {
    return TimeUnit.SECONDS;
  }

  @Override
  protected DistributionStatisticConfig defaultHistogramConfig() {
    return DistributionStatisticConfig.builder()
        .expiry(step)
        .build()
        .merge(DistributionStatisticConfig.DEFAULT);
  }
}
