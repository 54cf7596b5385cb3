package dev.metricspipeline.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HotEntriesTest {

  private static SeriesState entry(long number) {
    SeriesState s = new SeriesState();
    s.number = number;
    return s;
  }

  @Test
  void aSeriesIsKeptFromItsSecondSighting() {
    HotEntries hot = new HotEntries(4);
    SeriesState first = entry(1);
    SeriesState second = entry(2);

    hot.keep("a", first);
    assertThat(hot.get("a")).isNull();
    hot.keep("a", second);

    assertThat(hot.get("a")).isSameAs(second);
  }

  @Test
  void aKeptEntryIsReplacedByTheNextWritten() {
    HotEntries hot = new HotEntries(4);
    hot.keep("a", entry(1));
    hot.keep("a", entry(2));
    SeriesState next = entry(3);

    hot.keep("a", next);

    assertThat(hot.get("a")).isSameAs(next);
    assertThat(hot.size()).isEqualTo(1);
  }

  @Test
  void theLeastRecentlyUsedGoesWhenFull() {
    HotEntries hot = new HotEntries(2);
    for (String s : new String[] {"a", "b", "a", "b"}) {
      hot.keep(s, entry(0));
    }
    assertThat(hot.get("a")).isNotNull(); // a is now the most recently used
    hot.keep("c", entry(0));
    hot.keep("c", entry(0));

    assertThat(hot.get("b")).isNull();
    assertThat(hot.get("a")).isNotNull();
    assertThat(hot.get("c")).isNotNull();
    assertThat(hot.size()).isEqualTo(2);
  }

  @Test
  void aSightingIsForgottenAfterTwiceTheCapacityOfOthers() {
    HotEntries hot = new HotEntries(8);
    hot.keep("a", entry(0));
    for (int i = 0; i < 15; i++) {
      hot.keep("other-" + i, entry(0));
    }

    hot.keep("a", entry(0));

    assertThat(hot.get("a")).as("sighted 16 sightings ago: forgotten").isNull();
    hot.keep("a", entry(0));
    assertThat(hot.get("a")).isNotNull();
  }

  @Test
  void withoutCapacityNothingIsKept() {
    HotEntries hot = new HotEntries(0);
    hot.keep("a", entry(0));
    hot.keep("a", entry(0));

    assertThat(hot.get("a")).isNull();
    assertThat(hot.size()).isZero();
  }

  @Test
  void clearingForgetsEntriesAndSightings() {
    HotEntries hot = new HotEntries(4);
    hot.keep("a", entry(0));
    hot.keep("a", entry(0));
    hot.keep("b", entry(0));

    hot.clear();
    hot.keep("b", entry(0));

    assertThat(hot.get("a")).isNull();
    assertThat(hot.get("b")).as("its sighting went with the clear").isNull();
  }

  @Test
  void aForgottenEntryIsGoneAndComesBackOnItsNextSighting() {
    HotEntries hot = new HotEntries(4);
    hot.keep("a", entry(0));
    hot.keep("a", entry(0));

    hot.forget("a");
    assertThat(hot.get("a")).isNull();
    hot.keep("a", entry(0));

    assertThat(hot.get("a")).as("its sighting is still remembered").isNotNull();
  }

  @Test
  void aCapacityPastTheIntRangeOfItsArithmeticStillAdmits() {
    HotEntries hot = new HotEntries(Integer.MAX_VALUE);
    hot.keep("a", entry(0));
    hot.keep("a", entry(0));

    assertThat(hot.get("a")).isNotNull();
  }
}
