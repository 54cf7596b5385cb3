package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.embedded.EmbeddedKafka;
import dev.metricspipeline.embedded.EmbeddedSchemaRegistry;
import dev.metricspipeline.schemas.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code --kafka} settings reach every client of the commands: against a broker whose listener
 * takes only SASL/PLAIN logins, {@code init} creates the topics (its admin client once dropped the
 * settings), {@code push} publishes (the transactional producer) and {@code tail} reads them back
 * (the consumer); without the settings {@code init} is refused.
 */
class SaslIT {

  private static final String JAAS =
      "org.apache.kafka.common.security.plain.PlainLoginModule required"
          + " username=\"alice\" password=\"alice-secret\";";

  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  private static Result run(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.commandLine()
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute(args.toArray(String[]::new));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void everyClientLogsInWithTheGivenSaslSettings() throws Exception {
    try (EmbeddedKafka kafka =
            EmbeddedKafka.start(
                dir.resolve("kafka"), 0, Map.of(), Map.of("alice", "alice-secret"));
        EmbeddedSchemaRegistry registry =
            EmbeddedSchemaRegistry.start(kafka.bootstrapServers(), "127.0.0.1", 0)) {
      List<String> connect =
          List.of(
              "--bootstrap-servers",
              kafka.saslBootstrapServers(),
              "--schema-registry",
              registry.url());
      String sasl =
          "security.protocol=SASL_PLAINTEXT,sasl.mechanism=PLAIN,sasl.jaas.config=" + JAAS;

      List<String> withoutLogin = new ArrayList<>(List.of("init"));
      withoutLogin.addAll(connect);
      withoutLogin.addAll(
          List.of("--kafka", "default.api.timeout.ms=5000,request.timeout.ms=2000"));
      assertThat(run(withoutLogin).code()).as("init without the SASL settings").isNotZero();

      List<String> init = new ArrayList<>(List.of("init"));
      init.addAll(connect);
      init.addAll(List.of("--kafka", sasl, "--partitions", "2"));
      Result created = run(init);
      assertThat(created.code()).as("init: %s", created.err()).isZero();
      try (Admin admin =
          Admin.create(
              Map.<String, Object>of(
                  AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        assertThat(topics).contains(Topics.SAMPLES, Topics.REJECTED, Topics.rollups("1m"));
      }

      List<String> push = new ArrayList<>(List.of("push", "--job", "sasl"));
      push.addAll(connect);
      push.addAll(List.of("--kafka", sasl, "logged_in=1"));
      Result pushed = run(push);
      assertThat(pushed.code()).as("push: %s", pushed.err()).isZero();

      List<String> tail =
          new ArrayList<>(
              List.of(
                  "tail",
                  Topics.SAMPLES,
                  "--from-beginning",
                  "--max",
                  "1",
                  "--idle-timeout",
                  "30"));
      tail.addAll(connect);
      tail.addAll(List.of("--kafka", sasl));
      Result read = run(tail);
      assertThat(read.code()).as("tail: %s", read.err()).isZero();
      assertThat(read.out()).contains("\"key\":\"logged_in{job=\\\"sasl\\\"}\"");
    }
  }
}
