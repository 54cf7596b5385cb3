package dev.metricspipeline.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StaleMarkerTest {

  @Test
  void onlyTheExactBitPatternIsStale() {
    assertThat(StaleMarker.isStale(StaleMarker.VALUE)).isTrue();
    assertThat(Double.doubleToRawLongBits(StaleMarker.VALUE)).isEqualTo(0x7ff0000000000002L);
    assertThat(StaleMarker.isStale(Double.NaN)).isFalse();
    assertThat(StaleMarker.isStale(0.0)).isFalse();
    assertThat(StaleMarker.isStale(Double.POSITIVE_INFINITY)).isFalse();
  }
}
