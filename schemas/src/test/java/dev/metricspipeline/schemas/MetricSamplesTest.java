package dev.metricspipeline.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MetricSamplesTest {

  @Test
  void makesTheSampleAvrosConstructorMakesOfEveryField() {
    Map<String, String> labels = new TreeMap<>(Map.of("job", "j", "instance", "i"));
    MetricSample avro =
        new MetricSample(
            "up",
            labels,
            SampleType.COUNTER,
            12.5,
            1_000L,
            2_000L,
            Origin.PULL,
            "g",
            "p",
            "t",
            "r",
            "s",
            "id");
    MetricSample ours =
        MetricSamples.of(
            avro.getName(),
            avro.getLabels(),
            avro.getType(),
            avro.getValue(),
            avro.getTimestamp(),
            avro.getIngestTimestamp(),
            avro.getOrigin(),
            avro.getPushGroup(),
            avro.getPushId(),
            avro.getScrapeTarget(),
            avro.getScraperReplica(),
            avro.getSource(),
            avro.getSeriesId());
    assertThat(ours).isEqualTo(avro);
    // Field by field too, so that two strings swapped between fields cannot hide in equals.
    for (int field = 0; field < MetricSample.getClassSchema().getFields().size(); field++) {
      assertThat(ours.get(field)).as("field %d", field).isEqualTo(avro.get(field));
    }
  }

  @Test
  void keepsTheStaleMarkersBitsAndTheNullsOfAnOptionalField() {
    MetricSample stale =
        MetricSamples.of(
            "up",
            Map.of(),
            SampleType.GAUGE,
            StaleMarker.VALUE,
            -1L,
            Long.MAX_VALUE,
            Origin.PUSH_PROMETHEUS,
            null,
            null,
            null,
            null,
            null,
            null);
    assertThat(Double.doubleToRawLongBits(stale.getValue()))
        .isEqualTo(Double.doubleToRawLongBits(StaleMarker.VALUE));
    assertThat(stale.getTimestamp()).isEqualTo(-1L);
    assertThat(stale.getIngestTimestamp()).isEqualTo(Long.MAX_VALUE);
    assertThat(stale.getPushGroup()).isNull();
    assertThat(stale.getSeriesId()).isNull();
  }
}
