package dev.metricspipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.promql.Windows;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link RollupStore} must do; run against SQLite and PostgreSQL. */
abstract class RollupStoreContract {

  static final TopicPartition P0 = new TopicPartition("metrics.rollups.1m", 0);
  static final TopicPartition P1 = new TopicPartition("metrics.rollups.1m", 1);
  static final long T0 = 1_764_000_000_000L;

  JdbcRollupStore store;

  /** A fresh, empty store. */
  /** What runs just before each commit of a rollup write; see {@link #connections()}. */
  final java.util.concurrent.atomic.AtomicReference<Runnable> beforeCommit =
      new java.util.concurrent.atomic.AtomicReference<>(() -> {});

  /** Opens the store under test with {@link #connections()}. */
  abstract JdbcRollupStore open() throws Exception;

  /** The connection decorator every store under test is opened with. */
  java.util.function.UnaryOperator<javax.sql.DataSource> connections() {
    return CommitHooks.beforeRollupCommit(beforeCommit::get);
  }

  @BeforeEach
  void openStore() throws Exception {
    store = open();
    store.migrate();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  static Rollup rollup(String name, Map<String, String> labels, long start, double max) {
    return Rollup.newBuilder()
        .setSeries(SeriesKey.standard().idOf(name, labels))
        .setName(name)
        .setLabels(new TreeMap<>(labels))
        .setType(SampleType.GAUGE)
        .setResolution("1m")
        .setWindowStart(start)
        .setWindowEnd(start + 60_000)
        .setCount(2)
        .setSum(max + 1)
        .setMin(1)
        .setMax(max)
        .setFirst(1)
        .setLast(max)
        .setFirstTimestamp(start)
        .setLastTimestamp(start + 1)
        .build();
  }

  static RollupStore.Consumed at(TopicPartition tp, long offset, Rollup r) {
    return new RollupStore.Consumed(tp, offset, r);
  }

  private long id(Rollup r) {
    return JdbcRollupStore.seriesId(r.getSeries());
  }

  @Test
  void aBatchIsStoredWithItsSeriesAndOffsets() throws Exception {
    Rollup a = rollup("up", Map.of("job", "a"), T0, 1);
    Rollup b = rollup("up", Map.of("job", "b"), T0, 0);
    Rollup a2 = rollup("up", Map.of("job", "a"), T0 + 60_000, 1);
    Rollup counter = rollup("requests_total", Map.of("job", "a"), T0, 10);
    counter.setType(SampleType.COUNTER);
    counter.setIncrease(4.5);
    counter.setResets(1L);
    RollupStore.WriteResult result =
        store.write(List.of(at(P0, 0, a), at(P1, 0, b), at(P0, 1, a2), at(P0, 2, counter)));
    assertThat(result).isEqualTo(new RollupStore.WriteResult(4, 0));
    assertThat(store.nextOffsets(List.of(P0, P1, new TopicPartition("other", 0))))
        .containsExactlyInAnyOrderEntriesOf(Map.of(P0, 3L, P1, 1L));

    assertThat(store.series("up"))
        .extracting(StoredSeries::labels)
        .containsExactlyInAnyOrder(Map.of("job", "a"), Map.of("job", "b"));
    assertThat(store.series(null)).hasSize(3);
    assertThat(store.series("up")).allSatisfy(s -> assertThat(s.metric()).isEqualTo("up"));

    List<StoredRollup> rows = store.rollups(List.of(id(a)), "1m", T0, T0 + 60_000);
    assertThat(rows).extracting(StoredRollup::windowStart).containsExactly(T0, T0 + 60_000);
    StoredRollup first = rows.get(0);
    assertThat(first)
        .isEqualTo(
            new StoredRollup(id(a), "1m", T0, T0 + 60_000, 2, 2.0, 1.0, 1.0, 1.0, 1.0, null, null));
    assertThat(store.rollups(List.of(id(counter)), "1m", T0, T0).get(0))
        .satisfies(
            r -> {
              assertThat(r.increase()).isEqualTo(4.5);
              assertThat(r.resets()).isEqualTo(1L);
              assertThat(r.max()).isEqualTo(10.0);
            });
    assertThat(store.rollups(List.of(id(a)), "5m", T0, T0 + 60_000)).isEmpty();
    assertThat(store.rollups(List.of(id(a)), "1m", T0 + 1, T0 + 60_000)).hasSize(1);
  }

  /** Partial reads: the fields asked for, the others NaN or 0, counters known from either field. */
  @Test
  void aScanReadsOnlyTheFieldsAskedFor() throws Exception {
    Rollup gauge = rollup("up", Map.of("job", "a"), T0, 7.0);
    Rollup counter = rollup("c_total", Map.of("job", "a"), T0, 10.0);
    counter.setType(SampleType.COUNTER);
    counter.setIncrease(4.5);
    counter.setResets(1L);
    store.write(List.of(at(P0, 0, gauge), at(P0, 1, counter)));
    List<String> seen = new ArrayList<>();
    RollupStore.RollupVisitor record =
        (id, start, count, sum, min, max, first, last, isCounter, increase, resets) ->
            seen.add(
                (id == id(counter) ? "c" : "g")
                    + " count="
                    + count
                    + " max="
                    + max
                    + " last="
                    + last
                    + " counter="
                    + isCounter
                    + " increase="
                    + increase
                    + " resets="
                    + resets);
    List<Long> ids = List.of(id(gauge), id(counter));
    store.scanRollups(ids, "1m", T0, T0, EnumSet.of(Windows.Field.LAST), record);
    store.scanRollups(ids, "1m", T0, T0, EnumSet.of(Windows.Field.INCREASE), record);
    store.scanRollups(ids, "1m", T0, T0, EnumSet.of(Windows.Field.RESETS), record);
    assertThat(seen)
        .containsExactlyInAnyOrder(
            "g count=0 max=NaN last=7.0 counter=false increase=0.0 resets=0",
            "c count=0 max=NaN last=10.0 counter=false increase=0.0 resets=0",
            "g count=0 max=NaN last=NaN counter=false increase=0.0 resets=0",
            "c count=0 max=NaN last=NaN counter=true increase=4.5 resets=0",
            "g count=0 max=NaN last=NaN counter=false increase=0.0 resets=0",
            "c count=0 max=NaN last=NaN counter=true increase=NaN resets=1");
  }

  @Test
  void aReplayedBatchChangesNothing() throws Exception {
    Rollup a = rollup("up", Map.of("job", "a"), T0, 1);
    store.write(List.of(at(P0, 5, a)));
    Rollup changed = rollup("up", Map.of("job", "a"), T0, 99);
    RollupStore.WriteResult again = store.write(List.of(at(P0, 5, changed)));
    assertThat(again).isEqualTo(new RollupStore.WriteResult(0, 1));
    assertThat(store.rollups(List.of(id(a)), "1m", T0, T0).get(0).max())
        .as("an offset already written is not written again")
        .isEqualTo(1.0);
    assertThat(store.nextOffsets(List.of(P0))).containsEntry(P0, 6L);
  }

  @Test
  void aStaleInstanceCannotOverwriteNewerWorkNorMoveOffsetsBack() throws Exception {
    List<RollupStore.Consumed> newer = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      newer.add(at(P0, i, rollup("m", Map.of("i", "" + i), T0, i)));
    }
    store.write(newer);
    // An instance that lost P0 still holds offsets 3..5, with other values, and writes them.
    List<RollupStore.Consumed> stale = new ArrayList<>();
    for (int i = 3; i < 6; i++) {
      stale.add(at(P0, i, rollup("m", Map.of("i", "" + i), T0, -1)));
    }
    stale.add(at(P1, 0, rollup("m", Map.of("i", "p1"), T0, 7)));
    assertThat(store.write(stale)).isEqualTo(new RollupStore.WriteResult(1, 3));
    assertThat(store.nextOffsets(List.of(P0, P1)))
        .containsExactlyInAnyOrderEntriesOf(Map.of(P0, 10L, P1, 1L));
    List<Long> ids = store.series("m").stream().map(StoredSeries::id).toList();
    assertThat(store.rollups(ids, "1m", T0, T0))
        .extracting(StoredRollup::max)
        .doesNotContain(-1.0)
        .hasSize(11);
  }

  @Test
  void aLaterRecordForTheSameWindowReplacesIt() throws Exception {
    store.write(List.of(at(P0, 0, rollup("up", Map.of(), T0, 1))));
    store.write(List.of(at(P0, 1, rollup("up", Map.of(), T0, 2))));
    long id = store.series("up").get(0).id();
    assertThat(store.rollups(List.of(id), "1m", T0, T0))
        .singleElement()
        .extracting(StoredRollup::max)
        .isEqualTo(2.0);
  }

  @Test
  void aFailedTransactionLeavesNothingBehind() throws Exception {
    beforeCommit.set(
        () -> {
          throw new IllegalStateException("crash before commit");
        });
    assertThatThrownBy(() -> store.write(List.of(at(P0, 0, rollup("up", Map.of(), T0, 1)))))
        .hasMessage("crash before commit");
    beforeCommit.set(() -> {});
    assertThat(store.series(null)).isEmpty();
    assertThat(store.nextOffsets(List.of(P0))).isEmpty();
    // The series cache must not believe the series was stored: writing again creates it.
    store.write(List.of(at(P0, 0, rollup("up", Map.of(), T0, 1))));
    assertThat(store.series("up")).hasSize(1);
  }

  @Test
  void specialValuesRoundTrip() throws Exception {
    Rollup r = rollup("v", Map.of(), T0, Double.POSITIVE_INFINITY);
    r.setMin(Double.NEGATIVE_INFINITY);
    r.setSum(Double.NaN);
    store.write(List.of(at(P0, 0, r)));
    StoredRollup back = store.rollups(List.of(id(r)), "1m", T0, T0).get(0);
    assertThat(back.max()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(back.min()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(back.sum()).isNaN();
  }

  @Test
  void retentionDeletesOnlyOlderWindowsOfOneResolution() throws Exception {
    Rollup old = rollup("up", Map.of(), T0, 1);
    Rollup recent = rollup("up", Map.of(), T0 + 120_000, 1);
    Rollup hourly = rollup("up", Map.of(), T0, 1);
    hourly.setResolution("1h");
    store.write(List.of(at(P0, 0, old), at(P0, 1, recent), at(P1, 0, hourly)));
    assertThat(store.deleteBefore("1m", T0 + 60_000)).isEqualTo(1);
    long id = id(old);
    assertThat(store.rollups(List.of(id), "1m", 0, Long.MAX_VALUE))
        .extracting(StoredRollup::windowStart)
        .containsExactly(T0 + 120_000);
    assertThat(store.rollups(List.of(id), "1h", 0, Long.MAX_VALUE)).hasSize(1);
  }

  @Test
  void seriesInATimeRangeAreThoseWithAWindowOverlappingIt() throws Exception {
    Rollup early = rollup("up", Map.of("job", "early"), T0, 1);
    Rollup late = rollup("up", Map.of("job", "late"), T0 + 600_000, 1);
    Rollup hourly = rollup("up", Map.of("job", "hourly"), T0 - 3_600_000, 1);
    hourly.setResolution("1h");
    Rollup other = rollup("down", Map.of("job", "early"), T0, 1);
    store.write(List.of(at(P0, 0, early), at(P0, 1, late), at(P0, 2, hourly), at(P0, 3, other)));
    Map<String, Long> resolutions = Map.of("1m", 60_000L, "1h", 3_600_000L);

    assertThat(jobs(store.series("up", resolutions, T0 + 59_999, T0 + 60_000)))
        .as("[T0, T0 + 1m) overlaps only up to its last millisecond")
        .containsExactly("early");
    assertThat(jobs(store.series("up", resolutions, T0 + 60_000, T0 + 599_999))).isEmpty();
    assertThat(jobs(store.series("up", resolutions, T0 - 1, T0 + 600_000)))
        .as("the 1h window [T0 - 1h, T0) overlaps T0 - 1; a window starting at the end counts")
        .containsExactlyInAnyOrder("early", "late", "hourly");
    assertThat(jobs(store.series("up", Map.of("1m", 60_000L), T0 - 1, T0 + 600_000)))
        .as("only the given resolutions are looked at")
        .containsExactlyInAnyOrder("early", "late");
    assertThat(jobs(store.series(null, resolutions, T0, T0)))
        .containsExactlyInAnyOrder("early", "early");
    assertThat(store.series(null, Map.of(), T0, T0)).isEmpty();
  }

  private static List<String> jobs(List<StoredSeries> series) {
    return series.stream().map(s -> s.labels().get("job")).toList();
  }

  @Test
  void migrateIsIdempotentAndTheStoreAnswers() throws Exception {
    store.migrate();
    store.migrate();
    assertThat(store.reachable()).isTrue();
  }

  @Test
  void manySeriesInOneBatch() throws Exception {
    List<RollupStore.Consumed> batch = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      batch.add(at(P0, i, rollup("many", Map.of("i", Integer.toString(i)), T0, i)));
    }
    assertThat(store.write(batch).written()).isEqualTo(1200);
    List<Long> ids = store.series("many").stream().map(StoredSeries::id).toList();
    assertThat(ids).hasSize(1200);
    assertThat(store.rollups(ids, "1m", T0, T0)).hasSize(1200);
  }

  @Test
  void metadataListsEachFamilyWithItsLatestType() throws Exception {
    Rollup untypedFirst = rollup("temperature", Map.of("room", "a"), T0, 20);
    untypedFirst.setType(SampleType.UNTYPED);
    Rollup counter = rollup("http_requests_total", Map.of("job", "api"), T0, 5);
    counter.setType(SampleType.COUNTER);
    Rollup bucket = rollup("latency_seconds_bucket", Map.of("le", "0.1"), T0, 3);
    bucket.setType(SampleType.HISTOGRAM_BUCKET);
    Rollup count = rollup("latency_seconds_count", Map.of(), T0, 3);
    count.setType(SampleType.HISTOGRAM_COUNT);
    store.write(
        List.of(at(P0, 0, untypedFirst), at(P0, 1, counter), at(P0, 2, bucket), at(P0, 3, count)));
    assertThat(store.metadata("temperature"))
        .containsExactly(new MetricMetadata("temperature", "unknown"));
    // The type arrives later (remote_write metadata): the series' type follows it.
    Rollup typed = rollup("temperature", Map.of("room", "a"), T0 + 60_000, 21);
    store.write(List.of(at(P0, 4, typed)));
    assertThat(store.metadata(null))
        .containsExactlyInAnyOrder(
            new MetricMetadata("http_requests_total", "counter"),
            new MetricMetadata("latency_seconds", "histogram"),
            new MetricMetadata("temperature", "gauge"));
    assertThat(store.metadata("latency_seconds"))
        .containsExactly(new MetricMetadata("latency_seconds", "histogram"));
  }
}
