package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.avro.SampleType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GroupStoreTest {

  private static GroupState group(String job, long version, boolean deleted, Object... families) {
    Map<String, GroupState.Series> series = new LinkedHashMap<>();
    for (int i = 0; i < families.length; i += 2) {
      String family = (String) families[i];
      SampleType type = (SampleType) families[i + 1];
      // Two series per family: a family is indexed once however many series it has.
      for (String instance : new String[] {"a", "b"}) {
        series.put(
            family + i + instance,
            new GroupState.Series(
                family, family, new TreeMap<>(Map.of("instance", instance)), type, 1, 0));
      }
    }
    return new GroupState(
        new GroupingKey(new TreeMap<>(Map.of("job", job))), series, 0, 0, version, deleted);
  }

  @Test
  void aFamilyConflictsWhileAnotherLiveGroupHoldsItWithAnotherType() {
    GroupStore store = new GroupStore();
    store.apply("a", group("a", 1, false, "x", SampleType.GAUGE, "y", SampleType.COUNTER));
    assertThat(store.conflict("b", Map.of("x", "counter")))
        .hasValueSatisfying(c -> assertThat(c.otherGroup()).isEqualTo("a"))
        .hasValueSatisfying(c -> assertThat(c.otherType()).isEqualTo("gauge"));
    assertThat(store.conflict("b", Map.of("x", "gauge"))).isEmpty();
    assertThat(store.conflict("a", Map.of("x", "counter"))).as("its own group").isEmpty();

    // The same families pushed again, then x gone from the group: only y is held.
    store.apply("a", group("a", 2, false, "x", SampleType.GAUGE, "y", SampleType.COUNTER));
    assertThat(store.conflict("b", Map.of("x", "counter"))).isPresent();
    store.apply("a", group("a", 3, false, "y", SampleType.COUNTER));
    assertThat(store.conflict("b", Map.of("x", "counter"))).isEmpty();
    assertThat(store.conflict("b", Map.of("y", "gauge"))).isPresent();

    // x comes back with another type; an older version is ignored.
    store.apply("a", group("a", 4, false, "x", SampleType.COUNTER, "y", SampleType.COUNTER));
    store.apply("a", group("a", 3, false, "x", SampleType.GAUGE));
    assertThat(store.conflict("b", Map.of("x", "gauge"))).isPresent();
    assertThat(store.conflict("b", Map.of("x", "counter"))).isEmpty();

    // Deleted (a marker with a version) and removed (a tombstone) groups hold nothing.
    store.apply("a", group("a", 5, true, "x", SampleType.COUNTER));
    assertThat(store.conflict("b", Map.of("x", "gauge", "y", "gauge"))).isEmpty();
    store.apply("a", group("a", 6, false, "x", SampleType.COUNTER));
    store.apply("c", group("c", 1, false, "x", SampleType.COUNTER));
    store.remove("a");
    assertThat(store.conflict("b", Map.of("x", "gauge")))
        .hasValueSatisfying(c -> assertThat(c.otherGroup()).isEqualTo("c"));
    store.remove("c");
    assertThat(store.conflict("b", Map.of("x", "gauge"))).isEmpty();
  }
}
