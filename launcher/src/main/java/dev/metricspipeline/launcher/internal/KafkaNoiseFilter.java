package dev.metricspipeline.launcher.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops one Kafka Streams warning that is wrong for us: "Processing exception handler is not
 * enabled for the GlobalThread". Our stages set {@code processing.exception.handler.global.enabled}
 * (see {@code StreamsApp}), but Kafka Streams 4.4 also builds internal {@code StreamsConfig}s from
 * client settings alone ({@code ClientUtils.QuietStreamsConfig}), which never carry it, and each
 * warns. Every other message of that logger passes. Installed by the launcher's {@code
 * logback.xml}.
 */
public final class KafkaNoiseFilter extends TurboFilter {

  private static final String LOGGER = "org.apache.kafka.streams.StreamsConfig";
  private static final String MESSAGE = "Processing exception handler is not enabled for the";

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format != null
        && level == Level.WARN
        && LOGGER.equals(logger.getName())
        && format.startsWith(MESSAGE)) {
      return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }
}
