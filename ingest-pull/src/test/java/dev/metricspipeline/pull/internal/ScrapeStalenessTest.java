package dev.metricspipeline.pull.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.StaleMarker;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stale markers for the series a target's scrape no longer has, whatever the scrapes between. */
class ScrapeStalenessTest {

  private final Map<String, EncodedSeries> series = new LinkedHashMap<>();

  private EncodedSeries series(String name) {
    return series.computeIfAbsent(
        name, n -> EncodedSeries.of(n, Map.of("job", "j"), n + "{job=j}"));
  }

  private static MetricSample sample(String name, double value, long ts) {
    return new MetricSample(
        name,
        Map.of("job", "j"),
        SampleType.GAUGE,
        value,
        ts,
        ts,
        Origin.PULL,
        null,
        null,
        "http://t/metrics",
        null,
        "scrape j",
        null);
  }

  /** A scrape of {@code names} at {@code ts}: the samples and stale markers batched, by name. */
  private List<String> scrape(ScrapeStaleness staleness, long ts, String... names) {
    List<MetricSample> samples = new ArrayList<>();
    List<EncodedSeries> ids = new ArrayList<>();
    for (String name : names) {
      samples.add(sample(name, ts, ts));
      ids.add(series(name));
    }
    List<MetricSample> batch = new ArrayList<>();
    List<EncodedSeries> batchSeries = new ArrayList<>();
    staleness.succeeded(samples, ids, ts, batch, batchSeries);
    assertThat(batchSeries).hasSameSizeAs(batch);
    return describe(batch);
  }

  private static List<String> describe(List<MetricSample> samples) {
    return samples.stream()
        .map(s -> s.getName() + (StaleMarker.isStale(s.getValue()) ? " stale" : " " + s.getValue()))
        .toList();
  }

  @Test
  void aSeriesThatGoesAfterScrapesInTheSameOrderGetsAStaleMarker() {
    ScrapeStaleness staleness = new ScrapeStaleness();
    assertThat(scrape(staleness, 1, "a", "b", "c")).containsExactly("a 1.0", "b 1.0", "c 1.0");
    assertThat(scrape(staleness, 2, "a", "b", "c")).containsExactly("a 2.0", "b 2.0", "c 2.0");
    assertThat(scrape(staleness, 3, "a", "b", "c")).hasSize(3);
    assertThat(scrape(staleness, 4, "a", "c")).containsExactly("a 4.0", "c 4.0", "b stale");
    assertThat(scrape(staleness, 5, "c", "a", "d")).containsExactly("c 5.0", "a 5.0", "d 5.0");
    assertThat(scrape(staleness, 6, "c", "a", "d")).hasSize(3);
    assertThat(scrape(staleness, 7, "c")).containsExactly("c 7.0", "a stale", "d stale");
  }

  @Test
  void everySeriesGoesStaleWithTheTargetAndAnAdoptingLoopKnowsThem() {
    ScrapeStaleness first = new ScrapeStaleness();
    scrape(first, 1, "a", "b");
    scrape(first, 2, "a", "b");
    ScrapeStaleness adopting = new ScrapeStaleness();
    adopting.adopt(first);
    assertThat(scrape(adopting, 3, "b")).containsExactly("b 3.0", "a stale");

    List<MetricSample> markers = first.allStale(9);
    assertThat(describe(markers)).containsExactly("a stale", "b stale");
    assertThat(markers).allSatisfy(m -> assertThat(m.getTimestamp()).isEqualTo(9));
    assertThat(first.allStale(10)).as("forgotten once marked").isEmpty();
    assertThat(scrape(first, 11, "a")).containsExactly("a 11.0");
  }
}
