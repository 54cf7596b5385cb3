package dev.metricspipeline.launcher.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;
import org.slf4j.Marker;

/**
 * Drops the Kafka warnings that are wrong or expected for us, so a newcomer's first screen shows
 * none that asks for action. Each is one logger and a fragment of its message at WARN; every other
 * message of those loggers passes. Installed by the launcher's {@code logback.xml}.
 *
 * <ul>
 *   <li>"Processing exception handler is not enabled for the GlobalThread": our stages set {@code
 *       processing.exception.handler.global.enabled} (see {@code StreamsApp}), but Kafka Streams
 *       4.4 also builds internal {@code StreamsConfig}s from client settings alone ({@code
 *       ClientUtils.QuietStreamsConfig}), which never carry it, and each warns.
 *   <li>"Performing controller activation. The metadata log appears to be empty": the embedded
 *       broker's first start on a new data directory, which is how a freshly formatted KRaft node
 *       bootstraps.
 *   <li>"Attempting to close NetworkClient that has already been closed": the embedded broker's
 *       shutdown closing its controller channel twice.
 * </ul>
 */
public final class KafkaNoiseFilter extends TurboFilter {

  private record Noise(String logger, String fragment) {}

  private static final List<Noise> NOISE =
      List.of(
          new Noise(
              "org.apache.kafka.streams.StreamsConfig",
              "Processing exception handler is not enabled for the"),
          new Noise(
              "org.apache.kafka.controller.QuorumController",
              "Performing controller activation. The metadata log appears to be empty"),
          new Noise(
              "org.apache.kafka.clients.NetworkClient",
              "Attempting to close NetworkClient that has already been closed"));

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null || level != Level.WARN) {
      return FilterReply.NEUTRAL;
    }
    for (Noise n : NOISE) {
      if (n.logger().equals(logger.getName()) && format.contains(n.fragment())) {
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }
}
