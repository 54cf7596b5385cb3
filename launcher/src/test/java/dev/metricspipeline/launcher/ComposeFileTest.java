package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.metricspipeline.promql.Expr;
import dev.metricspipeline.promql.Parser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * The compose stack as a user gets it: every service it needs, a healthcheck on each long-running
 * one, start order by health, the environment each project service needs, commands the launcher
 * accepts, and files it mounts that exist. (CI also runs {@code docker-compose config}.) SnakeYAML
 * resolves the file's anchors and merge keys as Compose does.
 */
class ComposeFileTest {

  private static final Path COMPOSE = Path.of("..", "compose");
  private static Map<String, Map<String, Object>> services;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws Exception {
    Map<String, Object> file =
        new Yaml().load(Files.readString(COMPOSE.resolve("docker-compose.yml")));
    services = (Map<String, Map<String, Object>>) file.get("services");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<String> list(Object o) {
    return (List<String>) o;
  }

  private static final Set<String> PROJECT =
      Set.of("init", "push-gateway", "scraper", "normalizer", "streams", "sink");

  @Test
  void theStackHasEveryPiece() {
    assertThat(services.keySet())
        .containsExactlyInAnyOrder(
            "kafka",
            "schema-registry",
            "postgres",
            "init",
            "push-gateway",
            "scraper",
            "normalizer",
            "streams",
            "sink",
            "grafana",
            "node-exporter",
            "demo-job");
    assertThat(map(services.get("kafka")).get("image").toString()).startsWith("apache/kafka:4.");
    assertThat(map(services.get("schema-registry")).get("image").toString())
        .startsWith("confluentinc/cp-schema-registry:");
  }

  @Test
  void everyLongRunningServiceHasAHealthcheckAndStartsAfterHealthyDependencies() {
    services.forEach(
        (name, service) -> {
          if (!name.equals("init")) {
            assertThat(service).as(name).containsKey("healthcheck");
            assertThat(list(map(service.get("healthcheck")).get("test"))).as(name).isNotEmpty();
          }
          Object deps = service.get("depends_on");
          if (deps != null) {
            map(deps)
                .forEach(
                    (dep, how) -> {
                      assertThat(services).as("%s depends on %s", name, dep).containsKey(dep);
                      String condition = map(how).get("condition").toString();
                      assertThat(condition)
                          .as("%s waits for %s", name, dep)
                          .isEqualTo(
                              dep.equals("init")
                                  ? "service_completed_successfully"
                                  : "service_healthy");
                    });
          }
        });
    for (String name : PROJECT) {
      if (!name.equals("init")) {
        assertThat(map(services.get(name).get("depends_on"))).as(name).containsKey("init");
      }
    }
    assertThat(map(services.get("sink").get("depends_on"))).containsKey("postgres");
  }

  @Test
  void kafkaIsOneKraftNodeWhereTransactionsWork() {
    Map<String, Object> env = map(services.get("kafka").get("environment"));
    assertThat(env)
        .containsEntry("KAFKA_PROCESS_ROLES", "broker,controller")
        .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .containsEntry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false");
  }

  @Test
  void projectServicesGetTheirEnvironmentAndRunCommandsTheLauncherAccepts() {
    for (String name : PROJECT) {
      Map<String, Object> service = services.get(name);
      assertThat(map(service.get("build")).get("dockerfile"))
          .as(name)
          .isEqualTo("compose/Dockerfile");
      Map<String, Object> env = map(service.get("environment"));
      assertThat(env)
          .as(name)
          .containsEntry("METRICS_PIPELINE_BOOTSTRAP_SERVERS", "kafka:9092")
          .containsEntry("METRICS_PIPELINE_SCHEMA_REGISTRY", "http://schema-registry:8081");
      List<String> command = new ArrayList<>(list(service.get("command")));
      // The launcher reads METRICS_PIPELINE_* the same way in the container.
      CommandLine cli = Main.commandLine();
      CommandLine.ParseResult parsed =
          cli.parseArgs(withEnvironment(command, env).toArray(String[]::new));
      assertThat(parsed.subcommand()).as(name).isNotNull();
    }
    assertThat(
            map(services.get("sink").get("environment")).get("METRICS_PIPELINE_STORE").toString())
        .startsWith("jdbc:postgresql://postgres:5432/");
    assertThat(map(services.get("scraper").get("environment")))
        .containsEntry("METRICS_PIPELINE_SCRAPE_CONFIG", "/etc/metrics-pipeline/prometheus.yml");
  }

  /** The command with every METRICS_PIPELINE_ variable turned into the option it sets. */
  private static List<String> withEnvironment(List<String> command, Map<String, Object> env) {
    List<String> out = new ArrayList<>(command);
    env.forEach(
        (k, v) -> {
          if (k.startsWith("METRICS_PIPELINE_")) {
            String option =
                "--" + k.substring("METRICS_PIPELINE_".length()).toLowerCase().replace('_', '-');
            out.add(option + "=" + v);
          }
        });
    return out;
  }

  @Test
  void mountedFilesExistAndGrafanaPointsAtTheQueryApi() throws Exception {
    services.forEach(
        (name, service) -> {
          Object volumes = service.get("volumes");
          if (volumes != null) {
            for (String v : list(volumes)) {
              if (v.startsWith("./")) {
                assertThat(COMPOSE.resolve(v.substring(2, v.indexOf(':'))))
                    .as("%s mounts %s", name, v)
                    .exists();
              }
            }
          }
        });
    String datasources =
        Files.readString(COMPOSE.resolve("grafana/provisioning/datasources/datasources.yml"));
    assertThat(datasources).contains("url: http://sink:9095").contains("url: postgres:5432");
    assertThat(Files.readString(COMPOSE.resolve("grafana/dashboards/rollups.json")))
        .contains("max_over_time(demo_job_duration_seconds[1m])");
    assertThat(Files.readString(COMPOSE.resolve("Dockerfile")))
        .as("the image copies the jar the launcher build makes")
        .contains("/src/launcher/target/metrics-pipeline.jar");
    assertThat(Files.readString(Path.of("pom.xml")))
        .contains("<outputFile>${project.build.directory}/metrics-pipeline.jar</outputFile>");
    PullConfigCheck.load(COMPOSE.resolve("scrape/prometheus.yml"));
  }

  /** The compose stack's scrape config must load in the scraper. */
  static final class PullConfigCheck {
    static void load(Path file) {
      assertThat(dev.metricspipeline.pull.PullConfig.load(file).jobs()).hasSize(2);
    }
  }

  @Test
  void everyDashboardQueryIsPromqlTheQueryApiAnswers() throws Exception {
    JsonNode dashboard =
        new ObjectMapper().readTree(COMPOSE.resolve("grafana/dashboards/rollups.json").toFile());
    List<String> exprs = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      if (!panel.at("/datasource/type").asText().equals("prometheus")) {
        continue;
      }
      for (JsonNode target : panel.get("targets")) {
        exprs.add(target.get("expr").asText());
      }
    }
    assertThat(exprs).hasSizeGreaterThanOrEqualTo(6);
    for (String expr : exprs) {
      // Parses (what the engine does not answer is refused at parse time) and is not a bare range.
      Expr parsed = Parser.parse(expr);
      assertThat(parsed.type()).as(expr).isNotEqualTo(Expr.ValueType.MATRIX);
    }
    assertThat(exprs)
        .anyMatch(e -> e.startsWith("sum by (job)"))
        .anyMatch(e -> e.startsWith("topk("))
        .anyMatch(e -> e.startsWith("histogram_quantile("));
  }
}
