package dev.metricspipeline.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SeriesProcessorKeysTest {

  /** Keys stored by every earlier build were made by {@code String.format("%019d|%s", ...)}. */
  @Test
  void dueKeysAreTheStoredFormatToTheCharacter() {
    long[] times = {
      0,
      1,
      9,
      10,
      999,
      60_000,
      1_767_225_630_000L,
      999_999_999_999_999_999L,
      Long.MAX_VALUE,
      -1,
      Long.MIN_VALUE
    };
    for (long at : times) {
      for (String series : new String[] {"", "\uffff", "up{job=\"a\"}", "ä|b"}) {
        assertThat(SeriesProcessor.dueKey(at, series))
            .as("due key of %d and %s", at, series)
            .isEqualTo(String.format("%019d|%s", at, series));
      }
    }
  }

  @Test
  void dueKeysSortByTimeThenSeries() {
    assertThat(SeriesProcessor.dueKey(9, "b")).isLessThan(SeriesProcessor.dueKey(10, "a"));
    assertThat(SeriesProcessor.dueKey(10, "a")).isLessThan(SeriesProcessor.dueKey(10, "b"));
    assertThat(SeriesProcessor.dueKey(1_767_225_630_000L, "\uffff"))
        .isLessThan(SeriesProcessor.dueKey(1_767_225_630_001L, ""));
  }
}
