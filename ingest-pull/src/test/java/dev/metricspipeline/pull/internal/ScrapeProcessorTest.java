package dev.metricspipeline.pull.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.pull.PullConfig;
import dev.metricspipeline.pull.Target;
import dev.metricspipeline.schemas.SampleTimestamps;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A scrape's body to samples, ids and report series, without a socket or a clock. */
class ScrapeProcessorTest {

  private static final long T = 1_764_000_000_000L;
  private static final String TEXT = "text/plain; version=0.0.4";

  private static ScrapeProcessor processor(String jobYaml) {
    PullConfig config =
        PullConfig.parse("scrape_configs:\n  - " + jobYaml + "\n", "test", Path.of("."));
    Target target = Target.of(config.jobs().get(0), "host:9100", Map.of("env", "prod"));
    return new ScrapeProcessor(
        target,
        Map.of("cluster", "eu"),
        null,
        SeriesKey.standard(),
        SampleTimestamps.defaults(),
        new ScrapeMetrics(new SimpleMeterRegistry()));
  }

  private static ScrapeProcessor.Scraped process(ScrapeProcessor p, String body)
      throws ScrapeFailure {
    return p.process(body.getBytes(StandardCharsets.UTF_8), TEXT, T, System.nanoTime());
  }

  private static List<String> series(ScrapeProcessor.Scraped s) {
    List<String> out = new ArrayList<>();
    for (MetricSample m : s.samples()) {
      out.add(m.getName() + new TreeMap<>(m.getLabels()) + "=" + m.getValue());
    }
    return out;
  }

  @Test
  void relabelsAttachesTargetLabelsAndKeysEverySampleTheSameWayEveryScrape() throws Exception {
    ScrapeProcessor p =
        processor(
            "{job_name: node, static_configs: [{targets: ['host:9100']}], metric_relabel_configs:"
                + " [{source_labels: [__name__], regex: 'go_.*', action: drop}]}");
    String body =
        "# TYPE node_load1 gauge\nnode_load1 0.5\ngo_goroutines 7\n"
            + "node_cpu_seconds_total{cpu=\"0\",job=\"inner\"} 12\n";
    ScrapeProcessor.Scraped first = process(p, body);
    ScrapeProcessor.Scraped second = process(p, body.replace("0.5", "0.75"));

    assertThat(series(first))
        .containsExactly(
            "node_load1{cluster=eu, env=prod, instance=host:9100, job=node}=0.5",
            "node_cpu_seconds_total{cluster=eu, cpu=0, env=prod, exported_job=inner,"
                + " instance=host:9100, job=node}=12.0");
    assertThat(first.scraped()).isEqualTo(3);
    assertThat(ids(first))
        .containsExactly(
            "node_load1{cluster=\"eu\",env=\"prod\",instance=\"host:9100\",job=\"node\"}",
            "node_cpu_seconds_total{cluster=\"eu\",cpu=\"0\",env=\"prod\",exported_job=\"inner\","
                + "instance=\"host:9100\",job=\"node\"}");
    // From the scrape cache: the same series and ids, the new value.
    assertThat(second.series()).isEqualTo(first.series());
    for (int i = 0; i < second.samples().size(); i++) {
      assertThat(second.series().get(i).describes(second.samples().get(i)))
          .as("sample %d is made of its encoded series' very objects: its strings are copied", i)
          .isTrue();
    }
    assertThat(series(second).get(0)).endsWith("=0.75");
    assertThat(second.samples().get(0).getTimestamp()).isEqualTo(T);
    assertThatThrownBy(() -> second.samples().get(0).getLabels().put("x", "y"))
        .as("labels shared between scrapes cannot be changed")
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void theCachesGiveWhatAFreshProcessorGivesAsSeriesComeGoAndMove() throws Exception {
    String job =
        "{job_name: node, static_configs: [{targets: ['host:9100']}], metric_relabel_configs:"
            + " [{source_labels: [__name__], regex: 'drop_.*', action: drop}]}";
    String histogram =
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
    List<String> bodies =
        List.of(
            "a 1\nb{x=\"1\"} 2\ndrop_me 3\nc 4\n" + histogram,
            "a 1\nb{x=\"1\"} 2\ndrop_me 3\nc 4\n" + histogram, // the same lines
            "b{x=\"1\"} 2\na 1\nc 4\ndrop_me 3\n" + histogram, // moved
            "a 1\nb{x=\"2\"} 2\ndrop_me 3\nc 4\n" + histogram, // one changed in place
            "a 1\nc 4\n", // some went
            "a 1\nb{x=\"1\"} 2\ndrop_me 3\nc 4\nd 5\n" + histogram, // back, and a new one
            "c 4\nd 5\n",
            "a 1\nb{x=\"1\"} 2\ndrop_me 3\nc 4\nd 5\n" + histogram);
    ScrapeProcessor cached = processor(job);
    for (String body : bodies) {
      ScrapeProcessor.Scraped got = process(cached, body);
      ScrapeProcessor.Scraped fresh = process(processor(job), body);
      assertThat(series(got)).as("samples of %s", body).isEqualTo(series(fresh));
      assertThat(ids(got)).as("ids of %s", body).isEqualTo(ids(fresh));
      for (int i = 0; i < got.samples().size(); i++) {
        assertThat(got.series().get(i).describes(got.samples().get(i))).isTrue();
      }
    }
  }

  @Test
  void aLimitFailsEveryScrapeAndLeavesTheCacheAsItWas() throws Exception {
    ScrapeProcessor p =
        processor("{job_name: node, label_limit: 5, static_configs: [{targets: ['host:9100']}]}");
    assertThat(process(p, "ok 1\n").series()).hasSize(1);
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> process(p, "ok 1\nwide{a=\"1\",b=\"2\"} 1\n"))
          .isInstanceOf(ScrapeFailure.class)
          .hasMessage("label_limit exceeded (metric: wide, number of labels: 7, limit: 5)");
    }
    assertThat(process(p, "ok 2\n").series()).hasSize(1);
  }

  @Test
  void staleMarkersForSeriesThatWentAndAllAfterAFailure() throws Exception {
    ScrapeProcessor p = processor("{job_name: node, static_configs: [{targets: ['host:9100']}]}");
    ScrapeStaleness staleness = new ScrapeStaleness();
    List<MetricSample> batch = new ArrayList<>();
    List<EncodedSeries> ids = new ArrayList<>();
    ScrapeProcessor.Scraped one = process(p, "a 1\nb 2\n");
    assertThat(staleness.succeeded(one.samples(), one.series(), T, batch, ids)).isEqualTo(2);

    batch.clear();
    ids.clear();
    ScrapeProcessor.Scraped two = process(p, "a 3\nc 4\n");
    assertThat(staleness.succeeded(two.samples(), two.series(), T + 1000, batch, ids)).isEqualTo(1);
    assertThat(batch).extracting(MetricSample::getName).containsExactly("a", "c", "b");
    assertThat(StaleMarker.isStale(batch.get(2).getValue())).isTrue();
    assertThat(batch.get(2).getTimestamp()).isEqualTo(T + 1000);
    assertThat(ids).hasSize(3);
    assertThat(ids.get(2)).as("a stale marker's series: keyed by the publisher").isNull();

    // The same series in the same order: nothing added, nothing stale; the markers made later
    // come from this scrape's samples (here, a's new type).
    batch.clear();
    ids.clear();
    ScrapeProcessor.Scraped three = process(p, "# TYPE a gauge\na 5\nc 6\n");
    assertThat(staleness.succeeded(three.samples(), three.series(), T + 1500, batch, ids))
        .isEqualTo(0);
    assertThat(batch).extracting(MetricSample::getValue).containsExactly(5.0, 6.0);
    assertThat(ids).isEqualTo(three.series());

    List<MetricSample> gone = staleness.allStale(T + 2000);
    assertThat(gone).extracting(MetricSample::getName).containsExactly("a", "c");
    assertThat(gone.get(0).getType()).isEqualTo(SampleType.GAUGE);
    assertThat(staleness.allStale(T + 3000)).isEmpty();

    // After the markers, the same series again are all new.
    batch.clear();
    ids.clear();
    assertThat(staleness.succeeded(three.samples(), three.series(), T + 4000, batch, ids))
        .isEqualTo(2);
  }

  private static List<String> ids(ScrapeProcessor.Scraped scraped) {
    return scraped.series().stream().map(EncodedSeries::id).toList();
  }
}
