package dev.metricspipeline.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.RejectReason;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleBatch;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.registry.SchemaRegistryException;
import dev.metricspipeline.schemas.serde.AvroSerializer;
import dev.metricspipeline.schemas.serde.SampleBatchEncoder;
import dev.metricspipeline.schemas.serde.SamplesDeserializer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsTopologyTest {

  private static final long T0 = TopologyFixture.T0;

  private static final long MINUTE = 60_000;

  private boolean inputWaiting;
  private TopologyFixture fixture;
  private TopologyTestDriver driver;
  private TopologyFixture.InMemoryRegistry registry;
  private DropCounters drops;
  private TestInputTopic<String, MetricSample> samples;
  private TestInputTopic<String, byte[]> raw;
  private TestOutputTopic<String, Rollup> rollups1m;
  private TestOutputTopic<String, Rollup> rollups5m;
  private TestOutputTopic<String, Rejected> rejected;

  @BeforeEach
  void start() {
    StreamsSettings settings =
        StreamsSettings.defaults()
            .withResolutions(
                List.of(
                    new StreamsSettings.Resolution("1m", Duration.ofMinutes(1)),
                    new StreamsSettings.Resolution("5m", Duration.ofMinutes(5))))
            .withAggregationRules(
                AggregationRules.parse(
                    """
                    - match: http_requests_total
                      without: [instance]
                      outputs: [sum, count, min, max, avg, increase]
                    - match: '{__name__="queue_depth",job=~"a.*"}'
                      by: [job]
                      outputs: [max, increase]
                    """,
                    "rules.yaml"));
    fixture =
        new TopologyFixture(
            settings, (topic, partition) -> topic.equals("metrics.samples") && inputWaiting);
    driver = fixture.driver;
    registry = fixture.registry;
    drops = fixture.drops;
    samples = fixture.samples;
    raw = fixture.raw;
    rollups1m = fixture.rollups1m;
    rollups5m = fixture.rollups5m;
    rejected = fixture.rejected;
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private void pipe(String name, SampleType type, double value, long ts) {
    pipe(name, Map.of("job", "j"), type, value, ts, null);
  }

  private void pipe(
      String name,
      Map<String, String> labels,
      SampleType type,
      double value,
      long ts,
      String pushId) {
    MetricSample sample =
        MetricSample.newBuilder()
            .setName(name)
            .setLabels(new TreeMap<>(labels))
            .setType(type)
            .setValue(value)
            .setTimestamp(ts)
            .setIngestTimestamp(ts)
            .setOrigin(Origin.PUSH_PROMETHEUS)
            .setPushId(pushId)
            .build();
    samples.pipeInput(SeriesKey.standard().idOf(sample), sample, ts);
  }

  private void wallClock(long ms) {
    fixture.wallClock(ms);
  }

  private Map<String, Rollup> rollups(TestOutputTopic<String, Rollup> topic) {
    Map<String, Rollup> out = new TreeMap<>();
    topic
        .readRecordsToList()
        .forEach(r -> out.put(r.key() + "@" + r.value().getWindowStart(), r.value()));
    return out;
  }

  @Test
  void aWindowRollsUpCountSumMinMaxFirstLastAndClosesOnTheWallClock() {
    pipe("temp", SampleType.GAUGE, 3, T0 + 20_000);
    pipe("temp", SampleType.GAUGE, 1, T0 + 1_000);
    pipe("temp", SampleType.GAUGE, 2, T0 + 40_000);
    wallClock(T0 + MINUTE + 29_000);
    assertThat(rollups1m.isEmpty()).as("open until end + 30 s grace").isTrue();
    wallClock(T0 + MINUTE + 31_000);
    Rollup r = rollups(rollups1m).get("temp{job=\"j\"}@" + T0);
    assertThat(r.getCount()).isEqualTo(3);
    assertThat(r.getSum()).isEqualTo(6.0);
    assertThat(r.getMin()).isEqualTo(1.0);
    assertThat(r.getMax()).isEqualTo(3.0);
    assertThat(r.getFirst()).as("first by sample time, not arrival").isEqualTo(1.0);
    assertThat(r.getLast()).isEqualTo(2.0);
    assertThat(r.getWindowEnd()).isEqualTo(T0 + MINUTE);
    assertThat(r.getIncrease()).as("gauges have no increase").isNull();
    assertThat(rollups5m.isEmpty()).isTrue();
    wallClock(T0 + 5 * MINUTE + 31_000);
    assertThat(rollups(rollups5m).get("temp{job=\"j\"}@" + T0).getCount()).isEqualTo(3);
  }

  @Test
  void exactDuplicatesAreDroppedAndCounted() {
    pipe("jobs", SampleType.GAUGE, 7, T0 + 5_000);
    pipe("jobs", SampleType.GAUGE, 7, T0 + 5_000);
    pipe("jobs", SampleType.GAUGE, 8, T0 + 5_000);
    pipe("jobs", SampleType.GAUGE, 9, T0 + 6_000);
    wallClock(T0 + MINUTE + 31_000);
    Rollup r = rollups(rollups1m).get("jobs{job=\"j\"}@" + T0);
    assertThat(r.getCount()).as("same series and time is the same sample: first wins").isEqualTo(2);
    assertThat(r.getSum()).isEqualTo(16.0);
    assertThat(drops.get("duplicate")).isEqualTo(2);
  }

  /** A push of samples with their own timestamps, received at T0 + 72 s. */
  private void pipeTimestamped(double value, long ts, String pushId) {
    MetricSample sample =
        MetricSample.newBuilder()
            .setName("jobs")
            .setLabels(new TreeMap<>(Map.of("job", "j")))
            .setType(SampleType.GAUGE)
            .setValue(value)
            .setTimestamp(ts)
            .setIngestTimestamp(T0 + 72_000)
            .setOrigin(Origin.PUSH_INFLUX)
            .setPushId(pushId)
            .build();
    samples.pipeInput(SeriesKey.standard().idOf(sample), sample, ts);
  }

  @Test
  void samplesWithTheirOwnTimestampsInOnePushAreAllKeptAndAResentPushIsAnExactDuplicate() {
    pipeTimestamped(3, T0 + 20_000, "p1");
    pipeTimestamped(5, T0 + 25_000, "p1"); // same push, same 15 s bucket: not a retry
    pipeTimestamped(2, T0 + 70_000, "p1");
    pipeTimestamped(3, T0 + 20_000, "p2");
    pipeTimestamped(2, T0 + 70_000, "p2");
    assertThat(drops.get("duplicate")).isEqualTo(2);
    assertThat(drops.get("retried_push")).isZero();
    wallClock(T0 + MINUTE + 31_000);
    assertThat(rollups(rollups1m).get("jobs{job=\"j\"}@" + T0).getCount()).isEqualTo(2);
  }

  @Test
  void haReplicasKeepOneSamplePerSeriesAndIntervalAndTheFirstInLogOrderWins() {
    Map<String, String> a = Map.of("job", "j", "__replica__", "a");
    Map<String, String> b = Map.of("job", "j", "__replica__", "b");
    // Two replicas scraping every 15 s, slightly offset; intervals [0,15) [15,30) [30,45).
    pipe("up", b, SampleType.GAUGE, 2, T0 + 1_000, null);
    pipe("up", a, SampleType.GAUGE, 1, T0 + 2_000, null); // same interval: dropped, b came first
    pipe("up", a, SampleType.GAUGE, 1, T0 + 16_000, null);
    pipe("up", b, SampleType.GAUGE, 2, T0 + 17_000, null); // dropped
    pipe("up", b, SampleType.GAUGE, 2, T0 + 31_000, null);
    // A single scraper without a replica label every 5 s keeps every sample.
    pipe("solo", SampleType.GAUGE, 1, T0 + 1_000);
    pipe("solo", SampleType.GAUGE, 1, T0 + 6_000);
    pipe("solo", SampleType.GAUGE, 1, T0 + 11_000);
    wallClock(T0 + MINUTE + 31_000);
    Map<String, Rollup> out = rollups(rollups1m);
    Rollup up = out.get("up{job=\"j\"}@" + T0);
    assertThat(up.getCount()).isEqualTo(3);
    assertThat(up.getSum()).isEqualTo(2 + 1 + 2);
    assertThat(up.getLabels())
        .as("replica labels are not rollup labels")
        .doesNotContainKey("__replica__");
    assertThat(out.get("solo{job=\"j\"}@" + T0).getCount()).isEqualTo(3);
    assertThat(drops.get("replica")).isEqualTo(2);
  }

  @Test
  void aRetriedPushIsCountedOnceEvenWithNewReceiveTimestamps() {
    pipe("rows", Map.of("job", "etl"), SampleType.GAUGE, 42, T0 + 1_000, "push-1");
    pipe("rows", Map.of("job", "etl"), SampleType.GAUGE, 42, T0 + 3_000, "push-1"); // the retry
    pipe(
        "rows",
        Map.of("job", "etl"),
        SampleType.GAUGE,
        42,
        T0 + 40_000,
        "push-1"); // two intervals on: a new push
    pipe("rows", Map.of("job", "etl"), SampleType.GAUGE, 43, T0 + 4_000, "push-2");
    wallClock(T0 + MINUTE + 31_000);
    assertThat(rollups(rollups1m).get("rows{job=\"etl\"}@" + T0).getCount()).isEqualTo(3);
    assertThat(drops.get("retried_push")).isEqualTo(1);
  }

  @Test
  void aBacklogIsRolledUpInStreamTimeAndNotRejectedForBeingProcessedLate() {
    // The stage works through old records while the wall clock runs far ahead of them (it was
    // down, or behind under load): records keep flowing, so stream time, not the wall clock,
    // decides which windows are closed.
    for (int i = 0; i < 30; i++) {
      wallClock(T0 + 4_000L * (i + 1));
      pipe("temp", SampleType.GAUGE, i, T0 + 10_000 + 2_000L * i);
    }
    assertThat(fixture.elapsed())
        .as("wall clock now past the first window's end + grace")
        .isEqualTo(120_000);
    assertThat(drops.get("late")).isZero();
    assertThat(rollups1m.isEmpty()).as("stream time T0 + 68 s closes nothing yet").isTrue();

    // The check at T0 + 121 s saw the last record; from T0 + 122 s the checks see none.
    wallClock(T0 + 126_000);
    assertThat(rollups1m.isEmpty()).as("quiet for 4 s only").isTrue();
    wallClock(T0 + 127_000);
    assertThat(rollups(rollups1m))
        .as("quiet for 5 s: the wall clock closes the first window, with all 25 of its samples")
        .containsOnlyKeys("temp{job=\"j\"}@" + T0)
        .allSatisfy((k, r) -> assertThat(r.getCount()).isEqualTo(25));
    wallClock(T0 + 151_000);
    assertThat(rollups(rollups1m).get("temp{job=\"j\"}@" + (T0 + MINUTE)).getCount()).isEqualTo(5);

    pipe("temp", SampleType.GAUGE, 99, T0 + MINUTE + 30_000);
    wallClock(T0 + 152_000);
    assertThat(rollups(rollups1m).get("temp{job=\"j\"}@" + (T0 + MINUTE)))
        .as("once emitted, a window's late samples revise it (LateSamplesTest has the rest)")
        .satisfies(r -> assertThat(r.getRevision()).isEqualTo(1))
        .satisfies(r -> assertThat(r.getCount()).isEqualTo(6));
    assertThat(drops.get("late")).isZero();
  }

  @Test
  void aStallOfTheStreamThreadIsNotTakenForAQuietPartition() {
    pipe("temp", SampleType.GAUGE, 1, T0 + 10_000);
    wallClock(T0 + 1_000);
    // The thread stalls for 99 s (one check at the end, nothing processed since the previous one),
    // then works through the backlog: the window is still open to it.
    fixture.stall(Duration.ofSeconds(99));
    pipe("temp", SampleType.GAUGE, 2, T0 + 50_000);
    wallClock(T0 + 101_000);
    assertThat(drops.get("late")).isZero();
    wallClock(T0 + 107_000);
    assertThat(rollups(rollups1m).get("temp{job=\"j\"}@" + T0).getCount()).isEqualTo(2);
  }

  @Test
  void whileInputRecordsWaitTheWallClockClosesNothing() {
    inputWaiting = true;
    pipe("temp", SampleType.GAUGE, 1, T0 + 10_000);
    wallClock(T0 + 10 * MINUTE);
    assertThat(rollups1m.isEmpty())
        .as("no record for minutes, but the consumer's lag says records wait")
        .isTrue();
    inputWaiting = false;
    wallClock(T0 + 10 * MINUTE + 1_000);
    assertThat(rollups(rollups1m).get("temp{job=\"j\"}@" + T0).getCount()).isEqualTo(1);
  }

  @Test
  void outOfOrderWithinGraceIsRolledUp() {
    pipe("temp", SampleType.GAUGE, 5, T0 + MINUTE + 10_000);
    pipe("temp", SampleType.GAUGE, 4, T0 + 50_000);
    wallClock(T0 + MINUTE + 25_000);
    pipe("temp", SampleType.GAUGE, 3, T0 + 59_000);
    wallClock(T0 + MINUTE + 31_000);
    assertThat(rollups1m.isEmpty())
        .as("stream time is T0 + 70 s; the partition counts as quiet 5 s after its last record")
        .isTrue();
    wallClock(T0 + MINUTE + 32_000);
    assertThat(rollups(rollups1m).get("temp{job=\"j\"}@" + T0).getCount()).isEqualTo(2);
    assertThat(drops.get("late")).isZero();
  }

  @Test
  void counterIncreaseSurvivesResetsInsideAndAcrossWindows() {
    pipe("requests_total", SampleType.COUNTER, 10, T0 + 1_000);
    pipe("requests_total", SampleType.COUNTER, 15, T0 + 20_000);
    pipe("requests_total", SampleType.COUNTER, 3, T0 + 40_000); // reset
    pipe("requests_total", SampleType.COUNTER, 5, T0 + 50_000);
    pipe("requests_total", SampleType.COUNTER, 9, T0 + MINUTE + 10_000); // next window: +4 from 5
    wallClock(T0 + 2 * MINUTE + 31_000);
    Map<String, Rollup> out = rollups(rollups1m);
    Rollup first = out.get("requests_total{job=\"j\"}@" + T0);
    assertThat(first.getIncrease()).as("5 + 3 (reset) + 2").isEqualTo(10.0);
    assertThat(first.getResets()).isEqualTo(1);
    Rollup second = out.get("requests_total{job=\"j\"}@" + (T0 + MINUTE));
    assertThat(second.getIncrease()).as("carried over the window boundary").isEqualTo(4.0);
    assertThat(second.getResets()).isZero();
  }

  @Test
  void staleMarkersEndASeriesAndNanIsNotAValue() {
    pipe("requests_total", SampleType.COUNTER, 100, T0 + 1_000);
    pipe("requests_total", SampleType.COUNTER, StaleMarker.VALUE, T0 + 2_000);
    pipe(
        "requests_total",
        SampleType.COUNTER,
        2,
        T0 + 3_000); // restarted series: new baseline, not a reset
    pipe("requests_total", SampleType.COUNTER, 5, T0 + 4_000);
    pipe("temp", SampleType.GAUGE, Double.NaN, T0 + 5_000);
    wallClock(T0 + MINUTE + 31_000);
    Map<String, Rollup> out = rollups(rollups1m);
    Rollup r = out.get("requests_total{job=\"j\"}@" + T0);
    assertThat(r.getCount()).isEqualTo(3);
    assertThat(r.getIncrease()).isEqualTo(3.0);
    assertThat(r.getResets()).isZero();
    assertThat(out).doesNotContainKey("temp{job=\"j\"}@" + T0);
    assertThat(drops.get("nan")).isEqualTo(1);
  }

  @Test
  void anUndecodableRecordGoesToRejectedAndProcessingGoesOn() {
    raw.pipeInput("garbage", new byte[] {1, 2, 3, 4, 5, 6}, T0);
    pipe("temp", SampleType.GAUGE, 1, T0 + 1_000);
    Rejected rj = rejected.readValue();
    assertThat(rj.getReason()).isEqualTo(RejectReason.UNDECODABLE);
    assertThat(rj.getDetail()).contains("unknown magic byte 0x01");
    assertThat(rj.getSourceOffset()).isEqualTo(0L);
    assertThat(rj.getOriginalValue().remaining()).isEqualTo(6);
    assertThat(drops.get("undecodable")).isEqualTo(1);
    wallClock(T0 + MINUTE + 31_000);
    assertThat(rollups1m.readValuesToList()).hasSize(1);
  }

  @Test
  void samplesStampedBeforeTheEpochOrTooFarAheadGoToRejectedAndOthersStillRollUp() {
    MetricSample negative = sample("m", -9223372036854775806L);
    MetricSample future = sample("m", T0 + 2 * 60 * MINUTE);
    samples.pipeInput("m{job=\"j\"}", negative, T0);
    samples.pipeInput("m{job=\"j\"}", future, T0);
    pipe("temp", SampleType.GAUGE, 1, T0 + 1_000);
    List<Rejected> refused = rejected.readValuesToList();
    assertThat(refused)
        .extracting(Rejected::getReason)
        .containsExactly(RejectReason.INVALID_TIMESTAMP, RejectReason.INVALID_TIMESTAMP);
    assertThat(refused.get(0).getDetail())
        .isEqualTo(
            "sample m{job=\"j\"} has timestamp -9223372036854775806 ms, before"
                + " 1970-01-01T00:00:00Z; negative timestamps are refused");
    assertThat(refused.get(1).getDetail())
        .startsWith("sample m{job=\"j\"} has timestamp " + (T0 + 120 * MINUTE) + " ms")
        .contains("at most PT10M ahead");
    assertThat(refused.get(1).getSourceOffset()).isEqualTo(1L);
    assertThat(refused.get(1).getSample().getTimestamp()).isEqualTo(T0 + 120 * MINUTE);
    assertThat(drops.get("invalid_timestamp")).isEqualTo(2);
    wallClock(T0 + MINUTE + 31_000);
    assertThat(rollups1m.readKeyValuesToList())
        .singleElement()
        .satisfies(kv -> assertThat(kv.key).isEqualTo("temp{job=\"j\"}"));
  }

  /** Pipes one SampleBatch record (no key), as the pipeline's publisher writes them. */
  private void pipeBatch(long recordTime, MetricSample... batch) {
    List<MetricSample> items = List.of(batch);
    List<String> ids = items.stream().map(SeriesKey.standard()::idOf).toList();
    raw.pipeInput(
        null, new SampleBatchEncoder(registry).encode("metrics.samples", items, ids), recordTime);
  }

  private static MetricSample gauge(String name, String job, double value, long ts) {
    MetricSample s = sample(name, ts);
    s.setLabels(new TreeMap<>(Map.of("job", job)));
    s.setValue(value);
    return s;
  }

  @Test
  void aBatchRecordRollsUpEachOfItsSeriesAndDeduplicatesAgainstSingleRecords() {
    pipeBatch(
        T0,
        gauge("temp", "a", 1, T0 + 1_000),
        gauge("temp", "b", 10, T0 + 1_000),
        gauge("temp", "a", 3, T0 + 2_000));
    // The same sample again as a single record keyed by its id, as another producer writes it:
    // one series, one sample, whatever the record's shape.
    MetricSample again = gauge("temp", "a", 3, T0 + 2_000);
    samples.pipeInput(SeriesKey.standard().idOf(again), again, T0);
    pipeBatch(T0, gauge("temp", "b", 20, T0 + 3_000));
    wallClock(T0 + MINUTE + 31_000);
    Map<String, Rollup> out = rollups(rollups1m);
    assertThat(out.get("temp{job=\"a\"}@" + T0).getCount()).isEqualTo(2);
    assertThat(out.get("temp{job=\"a\"}@" + T0).getSum()).isEqualTo(4.0);
    assertThat(out.get("temp{job=\"b\"}@" + T0).getCount()).isEqualTo(2);
    assertThat(out.get("temp{job=\"b\"}@" + T0).getLast()).isEqualTo(20.0);
    assertThat(drops.get("duplicate")).isEqualTo(1);
    assertThat(drops.get("samples_in")).as("counted per sample, not per record").isEqualTo(5);
  }

  @Test
  void aBadSampleInABatchIsRejectedAloneAndTheRestOfTheBatchRollsUp() {
    pipeBatch(
        T0,
        gauge("temp", "a", 1, T0 + 1_000),
        gauge("temp", "b", 5, T0 + 2 * 60 * MINUTE),
        gauge("temp", "c", 7, T0 + 1_000));
    Rejected refused = rejected.readValue();
    assertThat(refused.getReason()).isEqualTo(RejectReason.INVALID_TIMESTAMP);
    assertThat(refused.getDetail()).startsWith("sample temp{job=\"b\"} has timestamp");
    assertThat(refused.getSample().getValue()).isEqualTo(5.0);
    assertThat(StandardCharsets.UTF_8.decode(refused.getOriginalKey()).toString())
        .as("the sample's series id stands for the key a batch record does not have")
        .isEqualTo("temp{job=\"b\"}");
    assertThat(refused.getOriginalValue())
        .as("the sample is in the rejection; the whole batch is not copied into it")
        .isNull();
    assertThat(refused.getSourceOffset()).isEqualTo(0L);
    assertThat(rejected.isEmpty()).isTrue();
    wallClock(T0 + MINUTE + 31_000);
    assertThat(rollups(rollups1m).keySet())
        .containsExactlyInAnyOrder("temp{job=\"a\"}@" + T0, "temp{job=\"c\"}@" + T0);
  }

  @Test
  void aSampleWithoutASeriesIdIsRejectedForItsUnknownSeries() {
    samples.pipeInput(null, sample("m", T0 + 1_000), T0);
    Rejected refused = rejected.readValue();
    assertThat(refused.getReason()).isEqualTo(RejectReason.UNDECODABLE);
    assertThat(refused.getDetail()).contains("has no series id");
    assertThat(refused.getOriginalValue()).isNotNull();
    // A batch written by hand without its items' ids: a record key does not stand for them.
    SampleBatch bare =
        SampleBatch.newBuilder()
            .setSamples(List.of(sample("a", T0 + 1_000), sample("b", T0 + 1_000)))
            .build();
    raw.pipeInput(
        "a{job=\"j\"}", new AvroSerializer<SampleBatch>(registry, true).serialize("t", bare), T0);
    assertThat(rejected.readValuesToList())
        .extracting(r -> r.getSample().getName())
        .containsExactly("a", "b");
    assertThat(drops.get("undecodable")).isEqualTo(3);
  }

  private static MetricSample sample(String name, long ts) {
    return MetricSample.newBuilder()
        .setName(name)
        .setLabels(new TreeMap<>(Map.of("job", "j")))
        .setType(SampleType.GAUGE)
        .setValue(1)
        .setTimestamp(ts)
        .setIngestTimestamp(T0)
        .setOrigin(Origin.KAFKA_TOPIC)
        .build();
  }

  @Test
  void aRegistryThatCannotBeReachedIsNotAPoisonRecord() {
    TopologyTestDriver away =
        new TopologyTestDriver(
            MetricsTopology.build(
                StreamsSettings.defaults(),
                new SamplesDeserializer(
                    new TopologyFixture.InMemoryRegistry() {
                      @Override
                      public Schema schemaById(int id) {
                        throw new SchemaRegistryException.RegistryUnavailableException(
                            0, 0, "Schema Registry at http://127.0.0.1:1 is unreachable", null);
                      }
                    }),
                new AvroSerializer<>(registry, true),
                new AvroSerializer<>(registry, true),
                drops),
            new Properties(),
            Instant.ofEpochMilli(T0));
    try (away) {
      TestInputTopic<String, MetricSample> in =
          away.createInputTopic(
              "metrics.samples", new StringSerializer(), new AvroSerializer<>(registry, true));
      assertThatThrownBy(() -> in.pipeInput("m", sample("m", T0), T0))
          .as("the thread fails and is retried; nothing is rejected")
          .hasStackTraceContaining("unreachable");
      assertThat(drops.get("undecodable")).isZero();
      assertThat(
              away.createOutputTopic(
                      "metrics.rejected", new StringDeserializer(), new StringDeserializer())
                  .isEmpty())
          .isTrue();
    }
  }

  @Test
  void aggregationRulesCombineTheClosedRollupsOfAGroupOnce() {
    Map<String, String> a = Map.of("job", "api", "instance", "a");
    Map<String, String> b = Map.of("job", "api", "instance", "b");
    pipe("http_requests_total", a, SampleType.COUNTER, 100, T0 + 10_000, null);
    pipe("http_requests_total", a, SampleType.COUNTER, 110, T0 + 50_000, null);
    pipe("http_requests_total", a, SampleType.COUNTER, 130, T0 + 70_000, null);
    pipe("http_requests_total", b, SampleType.COUNTER, 5, T0 + 10_000, null);
    pipe("http_requests_total", b, SampleType.COUNTER, 2, T0 + 40_000, null);
    pipe("queue_depth", a, SampleType.GAUGE, 4, T0 + 10_000, null);
    pipe("queue_depth", b, SampleType.GAUGE, 9, T0 + 20_000, null);
    pipe("queue_depth", Map.of("job", "batch"), SampleType.GAUGE, 50, T0 + 20_000, null);

    wallClock(T0 + MINUTE + 31_000);
    Map<String, Rollup> perSeries = rollups(rollups1m);
    assertThat(perSeries).hasSize(5);
    assertThat(perSeries.get("http_requests_total{instance=\"b\",job=\"api\"}@" + T0).getResets())
        .isEqualTo(1);

    // The rollups closed at T0 + 90 s (window end + grace), the first check at or past it.
    wallClock(T0 + MINUTE + 34_000);
    assertThat(rollups1m.isEmpty()).as("the group window settles 5 s after its inputs").isTrue();

    wallClock(T0 + MINUTE + 37_000);
    Map<String, Double> outputs = new TreeMap<>();
    rollups1m
        .readRecordsToList()
        .forEach(
            r -> {
              assertThat(r.value().getWindowStart()).isEqualTo(T0);
              assertThat(r.value().getCount()).isEqualTo(1);
              assertThat(r.value().getMax()).isEqualTo(r.value().getLast());
              outputs.put(r.key(), r.value().getLast());
            });
    // a: baseline 100, then 110 (+10); b: 5, then 2 (a reset: +2). Last values 110 and 2.
    assertThat(outputs)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "http_requests_total:without_instance_sum{job=\"api\"}", 112.0,
                "http_requests_total:without_instance_count{job=\"api\"}", 2.0,
                "http_requests_total:without_instance_min{job=\"api\"}", 2.0,
                "http_requests_total:without_instance_max{job=\"api\"}", 110.0,
                "http_requests_total:without_instance_avg{job=\"api\"}", 56.0,
                "http_requests_total:without_instance_increase{job=\"api\"}", 12.0,
                "queue_depth:by_job_max{job=\"api\"}", 9.0));
    assertThat(drops.get("aggregates_1m")).isEqualTo(7);

    wallClock(T0 + 2 * MINUTE + 31_000);
    wallClock(T0 + 2 * MINUTE + 37_000);
    Map<String, Rollup> second = rollups(rollups1m);
    assertThat(
            second
                .get("http_requests_total:without_instance_increase{job=\"api\"}@" + (T0 + MINUTE))
                .getLast())
        .as("the counter increase carries over the window boundary: 110 -> 130")
        .isEqualTo(20.0);
    assertThat(
            second
                .get("http_requests_total:without_instance_count{job=\"api\"}@" + (T0 + MINUTE))
                .getLast())
        .isEqualTo(1.0);
  }
}
