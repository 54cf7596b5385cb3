package dev.metricspipeline.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

class KafkaNoiseFilterTest {

  private final LoggerContext context = new LoggerContext();
  private final KafkaNoiseFilter filter = new KafkaNoiseFilter();

  private FilterReply decide(String logger, Level level, String message) {
    Logger l = context.getLogger(logger);
    return filter.decide(null, l, level, message, null, null);
  }

  @Test
  void dropsOnlyTheGlobalThreadWarningOfStreamsConfig() {
    String noise =
        "Processing exception handler is not enabled for the GlobalThread. It's recommended to set"
            + " `processing.exception.handler.global.enabled` to true to enable it.";
    assertThat(decide("org.apache.kafka.streams.StreamsConfig", Level.WARN, noise))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "org.apache.kafka.streams.StreamsConfig",
                Level.WARN,
                "Unexpected user-specified consumer config: enable.auto.commit found."))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide("dev.metricspipeline.streams.StreamsApp", Level.WARN, noise))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(decide("org.apache.kafka.streams.StreamsConfig", Level.ERROR, noise))
        .isEqualTo(FilterReply.NEUTRAL);
  }

  @Test
  void dropsTheEmbeddedBrokersFirstStartAndShutdownWarnings() {
    assertThat(
            decide(
                "org.apache.kafka.controller.QuorumController",
                Level.WARN,
                "[QuorumController id=1] Performing controller activation. The metadata log appears"
                    + " to be empty. Appending {} bootstrap record(s) in {} at metadata.version"
                    + " {}."))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "org.apache.kafka.clients.NetworkClient",
                Level.WARN,
                "[NodeToControllerChannelManager id=1 name=registration] Attempting to close"
                    + " NetworkClient that has already been closed."))
        .isEqualTo(FilterReply.DENY);
    assertThat(
            decide(
                "org.apache.kafka.clients.NetworkClient",
                Level.WARN,
                "[Producer clientId=p] Connection to node 1 could not be established."))
        .isEqualTo(FilterReply.NEUTRAL);
    assertThat(
            decide(
                "org.apache.kafka.controller.QuorumController",
                Level.WARN,
                "[QuorumController id=1] Renouncing the leadership due to a metadata log event."))
        .isEqualTo(FilterReply.NEUTRAL);
  }
}
