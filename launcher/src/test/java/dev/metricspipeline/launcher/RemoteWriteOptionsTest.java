package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.schemas.registry.RegistryClientConfig;
import dev.metricspipeline.sink.RemoteWriteSink;
import dev.metricspipeline.sink.SinkConfig;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RemoteWriteOptionsTest {

  private static RemoteWriteSink.Config parse(String... args) {
    RemoteWriteOptions options = new RemoteWriteOptions();
    new CommandLine(options).parseArgs(args);
    return options.config(
        SinkConfig.defaults(
                new KafkaConnection(
                    "127.0.0.1:9092", Map.of("security.protocol", "SASL_PLAINTEXT")),
                RegistryClientConfig.of("http://127.0.0.1:8081"))
            .withTopics(List.of("metrics.rollups.1m"))
            .withGroup("metrics-pipeline-sink"));
  }

  @Test
  void noUrlNoSink() {
    assertThat(parse()).isNull();
  }

  @Test
  void credentialsInTheUrlBecomeBasicAuthAndLeaveTheUrl() {
    RemoteWriteSink.Config config =
        parse("--remote-write-url", "https://writer:s3cret@tsdb.example:8428/api/v1/write?x=1");
    assertThat(config.url()).isEqualTo(URI.create("https://tsdb.example:8428/api/v1/write?x=1"));
    assertThat(config.basicAuth()).isEqualTo("writer:s3cret");
    assertThat(config.groupId()).isEqualTo("metrics-pipeline-remote-write");
    assertThat(config.topics()).containsExactly("metrics.rollups.1m");
    assertThat(config.kafka().settings()).containsEntry("security.protocol", "SASL_PLAINTEXT");
    assertThat(parse("--remote-write-url", "http://prometheus:9090/api/v1/write").basicAuth())
        .isNull();
  }

  @Test
  void aUrlThatIsNotHttpIsRefusedNamingIt() {
    assertThatThrownBy(() -> parse("--remote-write-url", "ftp://host/write"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ftp://host/write")
        .hasMessageContaining("http:// or https://");
  }
}
