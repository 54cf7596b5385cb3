package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.pull.PullConfig;
import dev.metricspipeline.pull.Relabeler;
import dev.metricspipeline.pull.Target;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelfScrapeTest {

  @Test
  void runScrapesItsOwnStagesSeriesAndNotThePerPartitionClientMetrics() {
    PullConfig config = RunCommand.selfScrape("127.0.0.1:9091", "127.0.0.1:9091");
    PullConfig.ScrapeJob job = config.jobs().get(0);
    assertThat(job.jobName()).isEqualTo("metrics-pipeline");
    assertThat(Target.of(job, "127.0.0.1:9091", Map.of()).url())
        .isEqualTo("http://127.0.0.1:9091/metrics");
    for (String kept :
        new String[] {
          "streams_samples_in_total",
          "sink_rows_written_total",
          "push_samples_accepted_total",
          "scraper_scrapes_total",
          "normalizer_messages_total",
          "kafka_consumer_fetch_manager_records_lag_max"
        }) {
      assertThat(Relabeler.apply(Map.of("__name__", kept), job.metricRelabelConfigs()))
          .as(kept)
          .isNotNull();
    }
    assertThat(
            Relabeler.apply(
                Map.of("__name__", "kafka_producer_node_request_latency_avg"),
                job.metricRelabelConfigs()))
        .isNull();
  }
}
