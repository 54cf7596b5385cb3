package dev.metricspipeline.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChecksTest {

  @Test
  void aValueThatPassesIsReturned() {
    assertThat(Checks.positive("n", 3)).isEqualTo(3);
    assertThat(Checks.port("port", 0)).isZero();
    assertThat(Checks.port("port", 65535)).isEqualTo(65535);
    assertThat(Checks.notNegative("grace", Duration.ZERO)).isEqualTo(Duration.ZERO);
    assertThat(Checks.notEmpty("topics", List.of("a"))).containsExactly("a");
    assertThat(Checks.atLeast("size", 10L, 10L)).isEqualTo(10L);
  }

  @Test
  void aValueThatFailsIsNamedWithWhatItGot() {
    assertThatThrownBy(() -> Checks.positive("maxConcurrentScrapes", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConcurrentScrapes must be at least 1, got 0");
    assertThatThrownBy(() -> Checks.port("port", 70000))
        .hasMessage("port must be 0..65535, got 70000");
    assertThatThrownBy(() -> Checks.notNegative("grace", Duration.ofSeconds(-1)))
        .hasMessage("grace must be at least PT0S, got PT-1S");
    assertThatThrownBy(
            () -> Checks.atLeast("closeCheckInterval", Duration.ofMillis(5), Duration.ofMillis(10)))
        .hasMessage("closeCheckInterval must be at least PT0.01S, got PT0.005S");
    assertThatThrownBy(() -> Checks.present("host", null)).hasMessage("host is required");
    assertThatThrownBy(() -> Checks.notEmpty("topics", List.of()))
        .hasMessage("topics must not be empty");
    assertThatThrownBy(() -> Checks.atLeast("sessionTimeoutMs", 0L, 1L))
        .hasMessage("sessionTimeoutMs must be at least 1, got 0");
  }

  @Test
  void aRefusalKeepsTheSettingApartFromTheProblem() {
    assertThatThrownBy(() -> Checks.atLeast("groupTtl", Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> {
              assertThat(e.setting()).isEqualTo("groupTtl");
              assertThat(e.problem()).isEqualTo("must be at least PT1S, got PT0S");
            });
    assertThatThrownBy(() -> Checks.present("web", null))
        .isInstanceOfSatisfying(
            InvalidSettingException.class, e -> assertThat(e.problem()).isEqualTo("is required"));
  }
}
