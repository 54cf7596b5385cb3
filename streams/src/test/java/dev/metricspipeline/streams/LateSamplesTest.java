package dev.metricspipeline.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.RejectReason;
import dev.metricspipeline.schemas.avro.Rejected;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Late samples revise their windows (issue #14). Each test is a table: the samples in arrival
 * order, with the wall clock moved between them, and every rollup emitted, one line each: {@code
 * <resolution>@<minutes after T0> r<revision> count sum [increase/resets]}. 1m and 5m windows, 30 s
 * grace, 10 minutes' allowed lateness.
 */
class LateSamplesTest {

  private static final long T0 = TopologyFixture.T0;
  private static final long MINUTE = 60_000;

  private TopologyFixture fixture;
  private DropCounters drops;
  private TopologyTestDriver driver;
  private TestInputTopic<String, MetricSample> samples;
  private TestOutputTopic<String, Rollup> rollups1m;
  private TestOutputTopic<String, Rollup> rollups5m;
  private TestOutputTopic<String, Rejected> rejected;

  @BeforeEach
  void start() {
    fixture =
        new TopologyFixture(
            StreamsSettings.defaults()
                .withResolutions(
                    List.of(
                        new StreamsSettings.Resolution("1m", Duration.ofMinutes(1)),
                        new StreamsSettings.Resolution("5m", Duration.ofMinutes(5))))
                .withAllowedLateness(Duration.ofMinutes(10))
                .withHotEntries(hotEntries()),
            InputBacklog.NONE);
    drops = fixture.drops;
    driver = fixture.driver;
    samples = fixture.samples;
    rollups1m = fixture.rollups1m;
    rollups5m = fixture.rollups5m;
    rejected = fixture.rejected;
  }

  /** Hot entries kept decoded per task: the default here, none in the subclass. */
  int hotEntries() {
    return StreamsSettings.DEFAULT_HOT_ENTRIES;
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private void gauge(double value, long ts) {
    pipe("temp", SampleType.GAUGE, value, ts);
  }

  private void counter(double value, long ts) {
    pipe("requests_total", SampleType.COUNTER, value, ts);
  }

  private void pipe(String name, SampleType type, double value, long ts) {
    MetricSample sample =
        MetricSample.newBuilder()
            .setName(name)
            .setLabels(new TreeMap<>(Map.of("job", "j")))
            .setType(type)
            .setValue(value)
            .setTimestamp(ts)
            .setIngestTimestamp(ts)
            .setOrigin(Origin.PUSH_REMOTE_WRITE)
            .build();
    samples.pipeInput(SeriesKey.standard().idOf(sample), sample, ts);
  }

  private void wallClock(long ms) {
    fixture.wallClock(ms);
  }

  /** The rollups emitted since the last call, one line each, in emission order. */
  private List<String> emitted(TestOutputTopic<String, Rollup> topic) {
    return topic.readValuesToList().stream().map(LateSamplesTest::line).toList();
  }

  private static String line(Rollup r) {
    String out =
        r.getResolution()
            + "@"
            + (r.getWindowStart() - T0) / MINUTE
            + " r"
            + r.getRevision()
            + " count="
            + r.getCount()
            + " sum="
            + r.getSum();
    if (r.getIncrease() != null) {
      out += " increase=" + r.getIncrease() + " resets=" + r.getResets();
    }
    return out;
  }

  /** The emitted windows kept in the stage's state, as {@code <resolution index>@<minutes>}. */
  private List<String> closedWindowStarts() {
    List<String> out = new java.util.ArrayList<>();
    try (var it =
        driver
            .<org.apache.kafka.common.utils.Bytes, byte[]>getKeyValueStore("closed-windows")
            .all()) {
      it.forEachRemaining(
          e -> {
            java.nio.ByteBuffer key = java.nio.ByteBuffer.wrap(e.key.get());
            out.add(key.get() + "@" + (key.getLong() - T0) / MINUTE);
          });
    }
    return out;
  }

  @Test
  void onTimeAndWithinGraceAreInTheFirstEmission() {
    gauge(1, T0 + 10_000);
    gauge(2, T0 + MINUTE + 5_000);
    wallClock(T0 + MINUTE + 20_000);
    gauge(4, T0 + 50_000); // out of order, within the grace: not yet emitted
    wallClock(T0 + MINUTE + 40_000);
    assertThat(emitted(rollups1m)).containsExactly("1m@0 r0 count=2 sum=5.0");
    assertThat(drops.get("revisions_1m")).isZero();
  }

  @Test
  void afterEmissionASampleRevisesItsWindowOncePerCheck() {
    gauge(1, T0 + 10_000);
    wallClock(T0 + MINUTE + 40_000);
    assertThat(emitted(rollups1m)).containsExactly("1m@0 r0 count=1 sum=1.0");
    gauge(2, T0 + 20_000);
    gauge(3, T0 + 30_000);
    gauge(4, T0 + 40_000);
    wallClock(T0 + MINUTE + 41_000);
    assertThat(emitted(rollups1m))
        .as("three late samples, one check: one revision")
        .containsExactly("1m@0 r1 count=4 sum=10.0");
    gauge(5, T0 + 45_000);
    wallClock(T0 + MINUTE + 42_000);
    assertThat(emitted(rollups1m)).containsExactly("1m@0 r2 count=5 sum=15.0");
    assertThat(rollups5m.isEmpty()).as("the 5m window has not closed yet").isTrue();
    wallClock(T0 + 5 * MINUTE + 31_000);
    assertThat(emitted(rollups5m))
        .as("the open 5m window took the late samples without a revision")
        .containsExactly("5m@0 r0 count=5 sum=15.0");
    assertThat(drops.get("revisions_1m")).isEqualTo(2);
    assertThat(drops.get("late")).isZero();
  }

  @Test
  void aWindowThatHadNoSampleIsFirstEmittedLate() {
    gauge(1, T0 + 10_000);
    gauge(2, T0 + 3 * MINUTE + 10_000);
    wallClock(T0 + 3 * MINUTE + 40_000);
    assertThat(emitted(rollups1m)).containsExactly("1m@0 r0 count=1 sum=1.0");
    gauge(7, T0 + MINUTE + 10_000); // a replay of what an outage held back
    wallClock(T0 + 3 * MINUTE + 41_000);
    assertThat(emitted(rollups1m)).containsExactly("1m@1 r0 count=1 sum=7.0");
    assertThat(drops.get("rollups_1m")).isEqualTo(2);
  }

  @Test
  void beyondTheAllowedLatenessASampleIsRejected() {
    gauge(1, T0 + 10_000);
    wallClock(T0 + 5 * MINUTE);
    assertThat(emitted(rollups1m)).containsExactly("1m@0 r0 count=1 sum=1.0");
    assertThat(closedWindowStarts()).as("emitted windows are kept").containsExactly("0@0");
    gauge(2, T0 + 12 * MINUTE); // stream time: the first window took late samples until 11:30
    gauge(3, T0 + 20_000);
    List<Rejected> late = rejected.readValuesToList();
    assertThat(late).singleElement().extracting(Rejected::getReason).isEqualTo(RejectReason.LATE);
    assertThat(late.get(0).getDetail())
        .contains("1m window starting " + T0)
        .contains("allowed lateness PT10M");
    assertThat(drops.get("late")).isEqualTo(1);
    wallClock(T0 + 5 * MINUTE + 2_000);
    assertThat(rollups1m.isEmpty()).as("no revision").isTrue();
    assertThat(closedWindowStarts())
        .as("the 1m window is dropped after grace + allowed lateness, the 5m one (until 15:30) not")
        .doesNotContain("0@0")
        .contains("1@0");
  }

  @Test
  void aReplayedSampleThatWasCountedIsADuplicateBeforeAndAfterItsWindowClosed() {
    gauge(1, T0 + 10_000);
    gauge(1, T0 + 10_000);
    wallClock(T0 + MINUTE + 40_000);
    gauge(1, T0 + 10_000);
    gauge(9, T0 + 10_000); // same time, other value: the first wins
    wallClock(T0 + MINUTE + 45_000);
    assertThat(emitted(rollups1m)).containsExactly("1m@0 r0 count=1 sum=1.0");
    assertThat(drops.get("duplicate")).isEqualTo(3);
    assertThat(drops.get("revisions_1m")).isZero();
  }

  @Test
  void aLateCounterSampleRevisesTheNextWindowsIncreaseToo() {
    counter(10, T0 + 10_000);
    counter(20, T0 + 50_000);
    counter(40, T0 + MINUTE + 10_000);
    wallClock(T0 + 2 * MINUTE + 40_000);
    assertThat(emitted(rollups1m))
        .containsExactly(
            "1m@0 r0 count=2 sum=30.0 increase=10.0 resets=0",
            "1m@1 r0 count=1 sum=40.0 increase=20.0 resets=0");
    counter(35, T0 + 55_000); // between 20 and 40: the step into minute 1 was 20, is now 5
    wallClock(T0 + 2 * MINUTE + 41_000);
    assertThat(emitted(rollups1m))
        .containsExactly(
            "1m@0 r1 count=3 sum=65.0 increase=25.0 resets=0",
            "1m@1 r1 count=1 sum=40.0 increase=5.0 resets=0");
    counter(1, T0 + 57_000); // a reset the scrapes missed: 35 → 1 → 40
    wallClock(T0 + 2 * MINUTE + 42_000);
    assertThat(emitted(rollups1m))
        .containsExactly(
            "1m@0 r2 count=4 sum=66.0 increase=26.0 resets=1",
            "1m@1 r2 count=1 sum=40.0 increase=39.0 resets=0");
    wallClock(T0 + 5 * MINUTE + 31_000);
    assertThat(emitted(rollups5m))
        .as("the same samples in order give the same increase")
        .containsExactly("5m@0 r0 count=5 sum=106.0 increase=65.0 resets=1");
  }

  @Test
  void aLateCounterSampleBeforeTheFirstOneBecomesTheBaseline() {
    counter(10, T0 + MINUTE + 10_000);
    counter(15, T0 + MINUTE + 20_000);
    wallClock(T0 + 2 * MINUTE + 40_000);
    assertThat(emitted(rollups1m))
        .containsExactly("1m@1 r0 count=2 sum=25.0 increase=5.0 resets=0");
    counter(4, T0 + 30_000);
    wallClock(T0 + 2 * MINUTE + 41_000);
    assertThat(emitted(rollups1m))
        .containsExactlyInAnyOrder(
            "1m@0 r0 count=1 sum=4.0 increase=0.0 resets=0",
            "1m@1 r1 count=2 sum=25.0 increase=11.0 resets=0");
  }

  @Test
  void aDroppedSampleLeavesItsSeriesAsItWas() {
    // A duplicate's own type is not the series' (a drop that changed nothing keeps the entry hot).
    gauge(5, T0 + 1_000);
    gauge(6, T0 + 2_000);
    pipe("temp", SampleType.COUNTER, 9, T0 + 2_000);
    wallClock(T0 + MINUTE + 31_000);
    assertThat(rollups1m.readValuesToList())
        .extracting(Rollup::getType, Rollup::getCount, Rollup::getSum)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(SampleType.GAUGE, 2L, 11.0));
    assertThat(drops.get("duplicate")).isEqualTo(1);
  }

  @Test
  void anyArrivalOrderWithDuplicatesEndsInTheRollupsOfTheSamplesInOrder() {
    // A counter with resets, a sample every 10 s for 6 minutes; two series get the same samples,
    // one in order, the other shuffled, with a third of them sent twice and checks in between.
    java.util.Random random = new java.util.Random(42);
    List<double[]> series = counterSamples(random, 5_000, 10_000, 10);
    for (double[] s : series) {
      pipe("ordered_total", SampleType.COUNTER, s[1], (long) s[0]);
    }
    List<double[]> shuffled = new java.util.ArrayList<>(series);
    shuffled.addAll(series.subList(0, series.size() / 3));
    java.util.Collections.shuffle(shuffled, random);
    wallClock(T0 + 6 * MINUTE + 40_000);
    for (int i = 0; i < shuffled.size(); i++) {
      pipe("shuffled_total", SampleType.COUNTER, shuffled.get(i)[1], (long) shuffled.get(i)[0]);
      if (i % 7 == 0) {
        wallClock(T0 + 6 * MINUTE + 41_000 + i * 1_000L);
      }
    }
    wallClock(T0 + 12 * MINUTE);
    Map<String, Map<String, String>> latest = latestEmissions();
    assertThat(latest.get("ordered_total")).hasSize(6 + 2);
    assertThat(latest.get("shuffled_total")).isEqualTo(latest.get("ordered_total"));
    assertThat(drops.get("duplicate")).isEqualTo(series.size() / 3);
  }

  @Test
  void aDenseSeriesSealsItsSamplesAndAnyArrivalOrderStillEndsInTheRollupsInOrder() {
    // A counter with resets, a sample every 500 ms for 6 minutes: 120 per 1m window, so the
    // windows seal their oldest samples into chunks. One series gets them in order; the other
    // with each sample up to 90 s late (many fall among sealed samples, some in the tail) and a
    // fifth of them sent twice.
    java.util.Random random = new java.util.Random(7);
    List<double[]> series = counterSamples(random, 250, 500, 50);
    for (double[] s : series) {
      pipe("ordered_total", SampleType.COUNTER, s[1], (long) s[0]);
      wallClock((long) s[0]); // checks close the windows as they fall behind
    }
    String ordered = SeriesKey.standard().idOf(sample("ordered_total"));
    int hot = driver.<String, byte[]>getKeyValueStore("series-state").get(ordered).length;
    assertThat(hot)
        .as("the hot entry holds the tails of the open windows, not their 120 samples each")
        .isLessThan(1_000);
    assertThat(chunkCount()).isGreaterThan(0);
    List<double[]> arrival = new java.util.ArrayList<>(); // time, value, arrival time
    for (int i = 0; i < series.size(); i++) {
      double[] s = series.get(i);
      arrival.add(new double[] {s[0], s[1], s[0] + random.nextInt(90_000)});
      if (i % 5 == 0) {
        arrival.add(new double[] {s[0], s[1], s[0] + random.nextInt(90_000)});
      }
    }
    arrival.sort(java.util.Comparator.comparingDouble(s -> s[2]));
    for (int i = 0; i < arrival.size(); i++) {
      pipe("shuffled_total", SampleType.COUNTER, arrival.get(i)[1], (long) arrival.get(i)[0]);
      if (i % 50 == 0) {
        wallClock(T0 + 6 * MINUTE + i * 20L); // revisions go out between the samples
      }
    }
    wallClock(T0 + 12 * MINUTE);
    Map<String, Map<String, String>> latest = latestEmissions();
    assertThat(latest.get("ordered_total")).hasSize(6 + 2);
    assertThat(latest.get("shuffled_total")).isEqualTo(latest.get("ordered_total"));
    assertThat(drops.get("duplicate")).isEqualTo((series.size() + 4) / 5);
    wallClock(T0 + 40 * MINUTE);
    assertThat(chunkCount()).as("chunks expire with their windows").isZero();
  }

  /**
   * A counter's samples, {@code {time, value}}: one every {@code step} ms for 6 minutes from {@code
   * T0 + first}, rising, reset to a small value about once in {@code resetOneIn}.
   */
  private static List<double[]> counterSamples(
      java.util.Random random, long first, long step, int resetOneIn) {
    List<double[]> series = new java.util.ArrayList<>();
    double value = 0;
    for (long t = first; t < 6 * MINUTE; t += step) {
      value = random.nextInt(resetOneIn) == 0 ? random.nextInt(5) : value + random.nextInt(20);
      series.add(new double[] {T0 + t, value});
    }
    return series;
  }

  /** The last emission of every window (1m and 5m), by series name, without its revision. */
  private Map<String, Map<String, String>> latestEmissions() {
    List<Rollup> all = new java.util.ArrayList<>(rollups1m.readValuesToList());
    all.addAll(rollups5m.readValuesToList());
    Map<String, Map<String, String>> latest = new TreeMap<>();
    for (Rollup r : all) {
      String window = r.getResolution() + "@" + (r.getWindowStart() - T0) / MINUTE;
      latest
          .computeIfAbsent(r.getName(), n -> new TreeMap<>())
          .put(window, line(r).replaceFirst(" r\\d+", ""));
    }
    return latest;
  }

  private MetricSample sample(String name) {
    return MetricSample.newBuilder()
        .setName(name)
        .setLabels(new TreeMap<>(Map.of("job", "j")))
        .setType(SampleType.COUNTER)
        .setValue(0)
        .setTimestamp(T0)
        .setIngestTimestamp(T0)
        .setOrigin(Origin.PUSH_REMOTE_WRITE)
        .build();
  }

  private long chunkCount() {
    try (var it =
        driver
            .<org.apache.kafka.common.utils.Bytes, byte[]>getKeyValueStore("series-chunks")
            .all()) {
      long n = 0;
      for (; it.hasNext(); it.next()) {
        n++;
      }
      return n;
    }
  }

  @Test
  void aReplayKeepsEveryWindowItEmitsForTheAllowedLateness() {
    gauge(0, T0 + 10 * MINUTE); // stream time: T0 + 10 min
    for (long t = 5_000; t < 9 * MINUTE; t += 15_000) {
      gauge(1, T0 + t);
    }
    wallClock(T0 + 2_000);
    List<String> kept = closedWindowStarts();
    assertThat(kept.stream().filter(k -> k.startsWith("0@"))).hasSize(9);
    assertThat(kept.stream().filter(k -> k.startsWith("1@"))).hasSize(1);
    assertThat(emitted(rollups1m)).hasSize(9);
  }
}
