package dev.metricspipeline.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.formats.proto.remote.Remote;
import dev.metricspipeline.schemas.avro.Rollup;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RemoteWriteSinkTest {

  private static Rollup rollup(SampleType type, Double increase) {
    return Rollup.newBuilder()
        .setSeries("http_requests_total{job=\"api\",code=\"200\"}")
        .setName("http_requests_total")
        .setLabels(new TreeMap<>(Map.of("job", "api", "code", "200")))
        .setType(type)
        .setResolution("5m")
        .setWindowStart(1_764_000_000_000L)
        .setWindowEnd(1_764_000_300_000L)
        .setCount(20)
        .setSum(400)
        .setMin(10)
        .setMax(30)
        .setFirst(10)
        .setLast(30)
        .setFirstTimestamp(1_764_000_000_000L)
        .setLastTimestamp(1_764_000_285_000L)
        .setIncrease(increase)
        .setResets(increase == null ? null : 0L)
        .build();
  }

  private static Map<String, Double> byName(List<Remote.TimeSeries> series) {
    return series.stream()
        .collect(
            Collectors.toMap(
                ts -> ts.getLabels(0).getValue(),
                ts -> ts.getSamples(0).getValue(),
                (a, b) -> a,
                TreeMap::new));
  }

  @Test
  void aCounterRollupBecomesSixRecordingRuleSeriesStampedWithTheWindowEnd() {
    List<Remote.TimeSeries> series = RemoteWriteSink.series(rollup(SampleType.COUNTER, 20.0));
    assertThat(byName(series))
        .containsExactlyEntriesOf(
            new TreeMap<>(
                Map.of(
                    "http_requests_total:count_5m", 20.0,
                    "http_requests_total:increase_5m", 20.0,
                    "http_requests_total:last_5m", 30.0,
                    "http_requests_total:max_5m", 30.0,
                    "http_requests_total:min_5m", 10.0,
                    "http_requests_total:sum_5m", 400.0)));
    for (Remote.TimeSeries ts : series) {
      assertThat(ts.getLabelsList())
          .as("sorted by name, the original labels kept")
          .extracting(Remote.Label::getName)
          .containsExactly("__name__", "code", "job");
      assertThat(ts.getSamples(0).getTimestamp()).isEqualTo(1_764_000_300_000L);
    }
  }

  @Test
  void aGaugeHasNoIncreaseSeries() {
    assertThat(byName(RemoteWriteSink.series(rollup(SampleType.GAUGE, null))))
        .hasSize(5)
        .doesNotContainKey("http_requests_total:increase_5m");
  }
}
