package dev.metricspipeline.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaConnectionTest {

  @Test
  void everyClientGetsTheServersAndTheSharedSettings() {
    KafkaConnection c =
        new KafkaConnection(
            "b1:9092,b2:9092", Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN"));

    assertThat(c.clientConfig())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "bootstrap.servers", "b1:9092,b2:9092",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "PLAIN"));
    assertThat(c.properties().getProperty("bootstrap.servers")).isEqualTo("b1:9092,b2:9092");
    // A fresh map each time: a client adding its own settings does not change the next one's.
    c.clientConfig().put("acks", "all");
    assertThat(c.clientConfig()).doesNotContainKey("acks");
  }

  @Test
  void refusesWhatWouldMakeClientsDisagree() {
    assertThatThrownBy(() -> KafkaConnection.of(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bootstrap servers must not be blank");
    assertThatThrownBy(
            () -> new KafkaConnection("b1:9092", Map.of("bootstrap.servers", "other:9092")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bootstrap.servers=other:9092")
        .hasMessageContaining("--bootstrap-servers");
  }

  @Test
  void toStringHidesSecrets() {
    KafkaConnection c =
        new KafkaConnection(
            "b1:9092",
            Map.of(
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required"
                    + " username=\"u\" password=\"p4ss\";",
                "ssl.truststore.password",
                "t4ust",
                "security.protocol",
                "SASL_SSL"));

    assertThat(c.toString())
        .contains("b1:9092", "security.protocol=SASL_SSL", "sasl.jaas.config=[hidden]")
        .doesNotContain("p4ss", "t4ust");
  }
}
