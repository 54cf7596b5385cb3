package dev.metricspipeline.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.KafkaConnection;
import org.junit.jupiter.api.Test;

class ScraperSettingsTest {

  @Test
  void settingsThatCannotWorkAreRefusedWhenMadeNamingTheKeyAndTheValue() {
    ScraperSettings defaults = ScraperSettings.defaults();
    assertThatThrownBy(
            () ->
                new ScraperSettings(
                    "127.0.0.1", 9094, 0, null, null, defaults.timestamps(), defaults.web()))
        .hasMessage("maxConcurrentScrapes must be at least 1, got 0");
    assertThatThrownBy(() -> defaults.withListen("127.0.0.1", 70000))
        .hasMessage("port must be 0..65535, got 70000");
    assertThatThrownBy(
            () ->
                new ScraperSettings.Coordination(KafkaConnection.of("k:9092"), "t", "g", 0, 10_000))
        .hasMessage("partitions must be at least 1, got 0");
    assertThat(defaults.maxConcurrentScrapes()).isEqualTo(256);
  }
}
