package dev.metricspipeline.push;

import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/** Creates topics on a broker that is not the shared test cluster. */
record KafkaTopics(String bootstrapServers) {
  void create(String topic) throws Exception {
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      admin
          .createTopics(Set.of(new NewTopic(topic, Optional.of(1), Optional.of((short) 1))))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }
}
