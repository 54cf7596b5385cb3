package dev.metricspipeline.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.KafkaConnection;
import dev.metricspipeline.testkit.KafkaCluster;
import dev.metricspipeline.testkit.KafkaExtension;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class TopicAdminIT {

  @Test
  void createsWhatIsMissingWithItsSettingsAndLeavesWhatExists(KafkaCluster kafka) throws Exception {
    String existing = kafka.uniqueTopic("existing");
    String fresh = kafka.uniqueTopic("fresh");
    kafka.createTopic(existing, 2);
    List<NewTopic> wanted =
        List.of(
            new NewTopic(existing, Optional.of(6), Optional.empty()),
            new NewTopic(fresh, Optional.of(3), Optional.empty())
                .configs(
                    Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));

    assertThat(TopicAdmin.createMissing(KafkaConnection.of(kafka.bootstrapServers()), wanted))
        .containsExactly(fresh);
    assertThat(TopicAdmin.partitions(KafkaConnection.of(kafka.bootstrapServers()), existing))
        .as("an existing topic keeps its partitions")
        .isEqualTo(2);
    assertThat(TopicAdmin.partitions(KafkaConnection.of(kafka.bootstrapServers()), fresh))
        .isEqualTo(3);
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, fresh);
      assertThat(
              admin
                  .describeConfigs(List.of(resource))
                  .all()
                  .get(30, TimeUnit.SECONDS)
                  .get(resource)
                  .get(TopicConfig.CLEANUP_POLICY_CONFIG)
                  .value())
          .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
    }
    assertThat(TopicAdmin.createMissing(KafkaConnection.of(kafka.bootstrapServers()), wanted))
        .as("a second call creates nothing")
        .isEmpty();
  }

  @Test
  void theConnectionSettingsReachTheAdminClientAndFailuresNameTheBroker(KafkaCluster kafka) {
    String topic = kafka.uniqueTopic("never");
    assertThatThrownBy(
            () ->
                TopicAdmin.createMissing(
                    new KafkaConnection(
                        kafka.bootstrapServers(),
                        Map.of(
                            "security.protocol",
                            "SASL_PLAINTEXT",
                            "sasl.mechanism",
                            "PLAIN",
                            "default.api.timeout.ms",
                            "3000",
                            "request.timeout.ms",
                            "2000",
                            "sasl.jaas.config",
                            "org.apache.kafka.common.security.plain.PlainLoginModule required"
                                + " username=\"u\" password=\"p\";")),
                    List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))))
        .as("SASL against a plaintext listener fails: the settings were used")
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(kafka.bootstrapServers())
        .hasMessageContaining(topic);
    assertThatThrownBy(
            () -> TopicAdmin.partitions(KafkaConnection.of(kafka.bootstrapServers()), topic))
        .hasMessageContaining("cannot describe topic " + topic);
  }
}
