package dev.metricspipeline.launcher;

import dev.metricspipeline.launcher.internal.PipelineTopics;
import dev.metricspipeline.runtime.TopicAdmin;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code metrics-pipeline init}: creates the pipeline's topics that are missing and registers the
 * value schemas, against an external Kafka and Schema Registry (what {@code run} does for its
 * embedded ones). Run once before the stages, as the compose stack does.
 */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description = {
      "Creates the missing pipeline topics (metrics.samples, metrics.rollups.*, metrics.rejected,"
          + " metrics.in.*) and registers their value schemas. Existing topics are left as they are."
    })
public final class InitCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Option(
      names = "--partitions",
      defaultValue = "6",
      paramLabel = "N",
      description =
          "Partitions of each topic created. Env: METRICS_PIPELINE_PARTITIONS. Default:"
              + " ${DEFAULT-VALUE}")
  int partitions;

  @Option(
      names = "--replication-factor",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Replication factor of each topic created. Env: METRICS_PIPELINE_REPLICATION_FACTOR."
              + " Default: ${DEFAULT-VALUE}")
  short replicationFactor;

  @Override
  public Integer call() {
    List<String> created =
        TopicAdmin.createMissing(
            kafka.connection(), PipelineTopics.all(partitions, replicationFactor));
    RunCommand.registerSchemas(kafka.schemaRegistry);
    spec.commandLine()
        .getOut()
        .println(
            "init: "
                + (created.isEmpty()
                    ? "all topics existed"
                    : "created " + String.join(", ", created))
                + "; schemas registered at "
                + kafka.schemaRegistry);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
