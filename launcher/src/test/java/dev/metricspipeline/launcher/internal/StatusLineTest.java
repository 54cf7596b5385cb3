package dev.metricspipeline.launcher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StatusLineTest {

  @Test
  void readsTheStagesCountersAndTheLargestLag() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Counter in = Counter.builder("streams.samples.in").register(meters);
    Counter.builder("streams.samples.dropped")
        .tag("reason", "duplicate")
        .register(meters)
        .increment(3);
    Counter.builder("streams.samples.dropped")
        .tag("reason", "replica")
        .register(meters)
        .increment(2);
    Counter.builder("streams.samples.dropped").tag("reason", "late").register(meters).increment(1);
    Counter.builder("sink.rows.written").register(meters).increment(40);
    AtomicLong lagA = new AtomicLong(7);
    AtomicLong lagB = new AtomicLong(12);
    Gauge.builder("kafka.consumer.fetch.manager.records.lag.max", lagA, AtomicLong::get)
        .tag("client_id", "a")
        .register(meters);
    Gauge.builder("kafka.consumer.fetch.manager.records.lag.max", lagB, AtomicLong::get)
        .tag("client_id", "b")
        .register(meters);
    try (StatusLine line =
        StatusLine.start(meters, new PrintWriter(new StringWriter()), Duration.ZERO)) {
      line.line();
      in.increment(500);
      assertThat(line.line())
          .matches(
              "status: samples in [0-9.]+/s, duplicates dropped 5, late 1, rollups written 40,"
                  + " consumer lag 12");
    }
  }

  @Test
  void lagIsTheCurrentPerPartitionLagOfTheConsumerFurthestBehind() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    AtomicLong streams0 = new AtomicLong(300);
    AtomicLong streams1 = new AtomicLong(200);
    AtomicLong sink0 = new AtomicLong(450);
    partitionLag(meters, "streams-consumer", "metrics.samples", "0", streams0);
    partitionLag(meters, "streams-consumer", "metrics.samples", "1", streams1);
    partitionLag(meters, "sink-consumer", "metrics.rollups.1m", "0", sink0);
    // The windowed maximum still shows an old lag: it is not what the line reports.
    Gauge.builder("kafka.consumer.fetch.manager.records.lag.max", () -> 9_999)
        .tag("client.id", "streams-consumer")
        .register(meters);
    try (StatusLine line =
        StatusLine.start(meters, new PrintWriter(new StringWriter()), Duration.ZERO)) {
      assertThat(line.line()).endsWith("consumer lag 500");
      streams0.set(0);
      streams1.set(0);
      assertThat(line.line()).endsWith("consumer lag 450");
      sink0.set(0);
      assertThat(line.line()).endsWith("consumer lag 0");
    }
  }

  private static void partitionLag(
      SimpleMeterRegistry meters, String client, String topic, String partition, AtomicLong lag) {
    Gauge.builder("kafka.consumer.fetch.manager.records.lag", lag, AtomicLong::get)
        .tag("client.id", client)
        .tag("topic", topic)
        .tag("partition", partition)
        .register(meters);
  }
}
