package dev.metricspipeline.launcher;

import dev.metricspipeline.formats.ParseException;
import dev.metricspipeline.formats.ParseResult;
import dev.metricspipeline.formats.ParsedSample;
import dev.metricspipeline.formats.TextFormatParser;
import dev.metricspipeline.schemas.MetricsPublisher;
import dev.metricspipeline.schemas.PublishException;
import dev.metricspipeline.schemas.PublisherConfig;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code metrics-pipeline push}: publishes a shell script's metrics straight to Kafka, all or
 * nothing, and exits 0 only once they are durable. Metrics come as {@code name=value} arguments or,
 * without arguments, as the Prometheus text format on stdin.
 *
 * <p>Exit codes: 0 committed; 1 the input was refused (nothing published); 75 (EX_TEMPFAIL) Kafka
 * or the registry could not take it, try again.
 */
@Command(
    name = "push",
    mixinStandardHelpOptions = true,
    description = {
      "Publishes metrics straight to Kafka from a shell script: name=value arguments, or the"
          + " Prometheus text format on stdin. Exits 0 once durable, 1 if refused, 75 if Kafka is"
          + " unavailable (retry)."
    })
public final class PushCommand implements Callable<Integer> {

  static final int EX_TEMPFAIL = 75;

  @Spec CommandSpec spec;

  @Mixin KafkaOptions kafka;

  @Mixin SampleTimeOptions sampleTime;

  @Option(
      names = "--job",
      required = true,
      paramLabel = "JOB",
      description = "The job label of every sample. Env: METRICS_PIPELINE_JOB.")
  String job;

  @Option(
      names = "--label",
      paramLabel = "NAME=VALUE",
      description =
          "Another label for every sample (repeatable); wins over labels in the input. Env: METRICS_PIPELINE_LABEL.")
  Map<String, String> labels = new LinkedHashMap<>();

  @Parameters(
      paramLabel = "NAME=VALUE",
      arity = "0..*",
      description = "Metrics, e.g. backup_bytes=1.5e9; none: read stdin.")
  List<String> metrics = new ArrayList<>();

  InputStream stdin = System.in;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    long now = System.currentTimeMillis();
    List<MetricSample> samples;
    try {
      samples = parse(now);
    } catch (ParseException | IllegalArgumentException | IOException e) {
      err.println("push: " + e.getMessage() + " (nothing was published)");
      err.flush();
      return 1;
    }
    PublisherConfig config =
        PublisherConfig.defaults(kafka.connection(), kafka.registry())
            .withTimestamps(sampleTime.timestamps());
    try (MetricsPublisher publisher = MetricsPublisher.start(config)) {
      publisher.publish(samples).get(config.timeout().toSeconds() * 3, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      boolean retriable = !(e.getCause() instanceof PublishException p) || p.isRetriable();
      err.println("push: not published: " + e.getCause().getMessage());
      err.flush();
      return retriable ? EX_TEMPFAIL : 1;
    } catch (TimeoutException e) {
      err.println("push: Kafka did not answer in time (nothing was published)");
      err.flush();
      return EX_TEMPFAIL;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return EX_TEMPFAIL;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("published " + samples.size() + " samples for job " + job);
    out.flush();
    return 0;
  }

  private List<MetricSample> parse(long now) throws ParseException, IOException {
    if (job.isBlank()) {
      throw new IllegalArgumentException("--job must not be empty");
    }
    StringBuilder text = new StringBuilder();
    if (metrics.isEmpty()) {
      text.append(new String(stdin.readAllBytes(), StandardCharsets.UTF_8));
    } else {
      for (String metric : metrics) {
        int eq = metric.lastIndexOf('=');
        if (eq <= 0 || eq == metric.length() - 1) {
          throw new IllegalArgumentException("\"" + metric + "\" is not NAME=VALUE");
        }
        text.append(metric, 0, eq).append(' ').append(metric.substring(eq + 1)).append('\n');
      }
    }
    ParseResult parsed =
        TextFormatParser.prometheus().parse(text.toString().getBytes(StandardCharsets.UTF_8), now);
    Map<String, String> group = new TreeMap<>(labels);
    group.put("job", job);
    String pushGroup = SeriesKey.standard().idOf("group", group);
    List<MetricSample> samples = new ArrayList<>(parsed.samples().size());
    for (ParsedSample p : parsed.samples()) {
      Map<String, String> merged = new TreeMap<>(p.labels());
      merged.putAll(group);
      MetricSample sample = p.toAvro(Origin.PUSH_CLIENT, now);
      sample.setLabels(merged);
      sample.setPushGroup(pushGroup.substring("group{".length(), pushGroup.length() - 1));
      sample.setSource("metrics-pipeline push");
      samples.add(sample);
    }
    return samples;
  }
}
