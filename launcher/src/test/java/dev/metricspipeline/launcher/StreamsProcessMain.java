package dev.metricspipeline.launcher;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.streams.StreamsApp;
import dev.metricspipeline.streams.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The streams stage in a process of its own, for tests that kill it: args are bootstrap, registry,
 * application id, state dir, samples topic, rejected topic, resolution name, grace ms.
 */
public final class StreamsProcessMain {
  private StreamsProcessMain() {}

  public static void main(String[] args) throws InterruptedException {
    StreamsSettings settings =
        StreamsSettings.defaults()
            .withTopics(args[4], args[5])
            .withResolutions(
                List.of(new StreamsSettings.Resolution(args[6], Duration.ofSeconds(1))))
            .withGrace(Duration.ofMillis(Long.parseLong(args[7])));
    StreamsApp.start(
        settings,
        new KafkaConnection(
            args[0], Map.of("session.timeout.ms", "6000", "heartbeat.interval.ms", "1000")),
        RegistryClientConfig.of(args[1]),
        args[2],
        Path.of(args[3]));
    System.out.println("started");
    System.out.flush();
    new CountDownLatch(1).await(); // until killed
  }
}
