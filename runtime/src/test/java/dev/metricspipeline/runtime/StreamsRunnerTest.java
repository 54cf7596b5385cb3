package dev.metricspipeline.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.KafkaConnection;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class StreamsRunnerTest {

  private static Properties properties(Map<String, String> settings) {
    return StreamsRunner.properties(
        "app", KafkaConnection.of("localhost:9092").withSettings(settings), Path.of("state"));
  }

  @Test
  void theStagesProducerCompressesWithLz4UnlessACompressionIsGiven() {
    Properties defaults = properties(Map.of());
    assertThat(defaults.getProperty("producer.compression.type")).isEqualTo("lz4");
    assertThat(defaults.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
    assertThat(defaults.getProperty("commit.interval.ms")).isEqualTo("100");

    Properties forAll = properties(Map.of("compression.type", "zstd"));
    assertThat(forAll.getProperty("compression.type")).isEqualTo("zstd");
    assertThat(forAll).doesNotContainKey("producer.compression.type");

    Properties forProducers = properties(Map.of("producer.compression.type", "none"));
    assertThat(forProducers.getProperty("producer.compression.type")).isEqualTo("none");
  }

  @Test
  void theStagesProducerBatchesUpTo256KiBUnlessABatchSizeIsGiven() {
    assertThat(properties(Map.of()).getProperty("producer.batch.size")).isEqualTo("262144");

    Properties forAll = properties(Map.of("batch.size", "65536"));
    assertThat(forAll.getProperty("batch.size")).isEqualTo("65536");
    assertThat(forAll).doesNotContainKey("producer.batch.size");

    Properties forProducers = properties(Map.of("producer.batch.size", "1048576"));
    assertThat(forProducers.getProperty("producer.batch.size")).isEqualTo("1048576");
  }
}
