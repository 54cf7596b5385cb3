package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.SampleType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GroupStateTest {

  private static final SeriesKey IDS = SeriesKey.standard();

  private static GroupState state() {
    Map<String, GroupState.Series> series = new LinkedHashMap<>();
    GroupState.Series a =
        new GroupState.Series(
            "job_duration_seconds",
            "job_duration_seconds",
            new TreeMap<>(Map.of("instance", "a", "quote", "say \"hi\"\n")),
            SampleType.GAUGE,
            12.5,
            0);
    GroupState.Series b =
        new GroupState.Series(
            "rpc", "rpc_count", new TreeMap<>(Map.of()), SampleType.SUMMARY_COUNT, 7, 1_000);
    series.put(IDS.idOf(a.name(), a.labels()), a);
    series.put(IDS.idOf(b.name(), b.labels()), b);
    return new GroupState(
        new GroupingKey(new TreeMap<>(Map.of("job", "batch"))),
        series,
        1_700_000_000_000L,
        0,
        42,
        false);
  }

  /** The layout of records already in group topics: written by every release so far. */
  private static final String WRITTEN =
      "{\"labels\":{\"job\":\"batch\"},\"lastPushMs\":1700000000000,\"lastFailureMs\":0,"
          + "\"version\":42,\"deleted\":false,\"series\":[{\"family\":\"job_duration_seconds\","
          + "\"name\":\"job_duration_seconds\",\"labels\":{\"instance\":\"a\","
          + "\"quote\":\"say \\\"hi\\\"\\n\"},\"type\":\"GAUGE\",\"value\":\"12.5\","
          + "\"timestamp\":0},{\"family\":\"rpc\",\"name\":\"rpc_count\",\"labels\":{},"
          + "\"type\":\"SUMMARY_COUNT\",\"value\":\"7.0\",\"timestamp\":1000}]}";

  /** Random text: ASCII, the characters JSON escapes, other BMP characters and surrogate pairs. */
  private static String text(java.util.Random random) {
    StringBuilder b = new StringBuilder();
    int n = random.nextInt(12);
    for (int i = 0; i < n; i++) {
      switch (random.nextInt(5)) {
        case 0 -> b.append((char) random.nextInt(0x20));
        case 1 -> b.append("\"\\/\u007f".charAt(random.nextInt(4)));
        case 2 -> b.append((char) (0xa0 + random.nextInt(0xd000)));
        case 3 -> b.appendCodePoint(0x1f300 + random.nextInt(0x300));
        default -> b.append((char) (0x20 + random.nextInt(0x5f)));
      }
    }
    return b.toString();
  }

  @Test
  void writesEveryStringAsJacksonsGeneratorDoes() throws IOException {
    java.util.Random random = new java.util.Random(3);
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    for (int round = 0; round < 200; round++) {
      Map<String, GroupState.Series> series = new LinkedHashMap<>();
      java.util.List<Object> expected = new java.util.ArrayList<>();
      for (int i = 0; i < 1 + random.nextInt(4); i++) {
        TreeMap<String, String> labels = new TreeMap<>();
        for (int l = 0; l < random.nextInt(4); l++) {
          labels.put(text(random), text(random));
        }
        GroupState.Series s =
            new GroupState.Series(
                text(random),
                "n" + i + text(random),
                labels,
                SampleType.values()[random.nextInt(SampleType.values().length)],
                random.nextInt(3) == 0 ? Double.NaN : random.nextGaussian() * 1e12,
                random.nextLong(),
                random.nextBoolean());
        series.put("s" + i, s);
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("family", s.family());
        object.put("name", s.name());
        object.put("labels", labels);
        object.put("type", s.type().name());
        object.put("value", Double.toString(s.value()));
        object.put("timestamp", s.timestamp());
        expected.add(object);
      }
      GroupState state =
          new GroupState(
              new GroupingKey(new TreeMap<>(Map.of("job", text(random), text(random), "x"))),
              series,
              random.nextLong(),
              0,
              round,
              round % 2 == 0);
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("labels", state.key().labels());
      root.put("lastPushMs", state.lastPushMs());
      root.put("lastFailureMs", 0L);
      root.put("version", (long) round);
      root.put("deleted", round % 2 == 0);
      root.put("series", expected);
      byte[] jackson = json.writeValueAsBytes(root);
      assertThat(new String(state.toJson(), StandardCharsets.UTF_8))
          .isEqualTo(new String(jackson, StandardCharsets.UTF_8));
      assertThat(state.toJson()).as("again, from the heads kept").isEqualTo(jackson);
      GroupState next = new GroupState(state.key(), nextValues(series), 0, 0, round, false);
      root.put("lastPushMs", 0L);
      root.put("deleted", false);
      for (Object o : expected) {
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) o;
        object.put("value", "1.0");
        object.put("timestamp", 2L);
      }
      assertThat(next.toJson())
          .as("the next values after the heads")
          .isEqualTo(json.writeValueAsBytes(root));
      assertThat(GroupState.fromJson(state.toJson(), IDS).series().values())
          .containsExactlyElementsOf(series.values());
    }
  }

  private static Map<String, GroupState.Series> nextValues(Map<String, GroupState.Series> series) {
    Map<String, GroupState.Series> next = new LinkedHashMap<>();
    series.forEach((id, s) -> next.put(id, s.next(1.0, 2)));
    return next;
  }

  @Test
  void aStateLargerThanTheKeptScratchIsWrittenWholeAndTheNextOneAfterIt() throws IOException {
    Map<String, GroupState.Series> series = new LinkedHashMap<>();
    String wide = "v".repeat(1_000);
    for (int i = 0; series.size() * 1_000 <= GroupState.JsonBytes.SCRATCH_KEPT; i++) {
      GroupState.Series s =
          new GroupState.Series(
              "m", "m", new TreeMap<>(Map.of("i", i + wide)), SampleType.GAUGE, i, i);
      series.put(IDS.idOf(s.name(), s.labels()), s);
    }
    GroupState large = new GroupState(state().key(), series, 1, 0, 3, false);
    byte[] written = large.toJson();
    assertThat(written.length).isGreaterThan(GroupState.JsonBytes.SCRATCH_KEPT);
    assertThat(GroupState.fromJson(written, IDS)).isEqualTo(large);
    // The same thread's next, small state is written alone, not over the large one's tail.
    assertThat(new String(state().toJson(), StandardCharsets.UTF_8)).isEqualTo(WRITTEN);
    assertThat(large.toJson()).isEqualTo(written);
  }

  @Test
  void aStateKeepsItsSeriesWhateverHappensToTheMapItWasMadeOf() {
    Map<String, GroupState.Series> given = new LinkedHashMap<>(state().series());
    GroupState state = new GroupState(state().key(), given, 1, 0, 1, false);
    given.clear();
    assertThat(state.series()).hasSize(2);
    assertThatThrownBy(() -> state.series().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> state.series().entrySet().iterator().next().setValue(null))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> state.series().values().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    // A later state of the same series (a refused push's) takes the map as it is.
    GroupState failed = new GroupState(state.key(), state.series(), 1, 2, 2, false);
    assertThat(failed.series()).isSameAs(state.series());
    assertThat(failed.series()).containsExactlyEntriesOf(state().series());
  }

  @Test
  void writesTheLayoutTheGroupTopicHolds() {
    assertThat(new String(state().toJson(), StandardCharsets.UTF_8)).isEqualTo(WRITTEN);
  }

  @Test
  void readsBackWhatItWrote() throws IOException {
    GroupState state = state();
    assertThat(GroupState.fromJson(state.toJson(), IDS)).isEqualTo(state);
    assertThat(GroupState.fromJson(WRITTEN.getBytes(StandardCharsets.UTF_8), IDS)).isEqualTo(state);
  }

  @Test
  void theVersionIsReadWithoutTheSeries() throws IOException {
    assertThat(GroupState.versionOf(state().toJson())).isEqualTo(42);
    // Another writer may order the fields otherwise: the version is still found.
    String reordered =
        "{\"series\":[{\"family\":\"x\",\"labels\":{\"version\":\"9\"}}],\"labels\":{},"
            + "\"version\":7}";
    assertThat(GroupState.versionOf(reordered.getBytes(StandardCharsets.UTF_8))).isEqualTo(7);
    assertThat(GroupState.versionOf("{\"labels\":{}}".getBytes(StandardCharsets.UTF_8)))
        .as("no version: older than any written")
        .isZero();
    assertThatThrownBy(() -> GroupState.versionOf("[1]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a push group state");
  }
}
