package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParsedSampleTest {

  @Test
  void whatAParserHandsOutCannotBeChangedByAnyone() throws ParseException {
    ParseResult parsed =
        TextFormatParser.prometheus().parse("up{job=\"a\",instance=\"h:1\"} 1\n".getBytes(), 5L);
    ParsedSample s = parsed.samples().get(0);

    assertThatThrownBy(() -> s.labels().put("job", "b"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> parsed.samples().add(s))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(s.labels()).containsExactly(Map.entry("instance", "h:1"), Map.entry("job", "a"));
  }

  @Test
  void keepsACopyOfTheLabelsItWasGivenInNameOrder() {
    Map<String, String> labels = new HashMap<>(Map.of("z", "1", "a", "2"));
    ParsedSample s = new ParsedSample("m", labels, SampleType.GAUGE, 1.5, 10L);
    labels.put("b", "3");

    assertThat(s.labels()).containsExactly(Map.entry("a", "2"), Map.entry("z", "1"));
  }

  @Test
  void eachAvroRecordIsNewAndTheCallersOwn() {
    ParsedSample s =
        new ParsedSample(
            "job_duration_seconds", Map.of("job", "batch"), SampleType.UNTYPED, 12.5, 1000L);

    MetricSample first = s.toAvro(Origin.PUSH_PROMETHEUS, 2000L);
    first.setLabels(Map.of("job", "other"));
    first.setSource("/metrics/job/batch");
    MetricSample second = s.toAvro(Origin.PULL, 3000L);

    assertThat(second).isNotSameAs(first);
    assertThat(second.getName()).isEqualTo("job_duration_seconds");
    assertThat(second.getLabels()).isEqualTo(Map.of("job", "batch"));
    assertThat(second.getType()).isEqualTo(SampleType.UNTYPED);
    assertThat(second.getValue()).isEqualTo(12.5);
    assertThat(second.getTimestamp()).isEqualTo(1000L);
    assertThat(second.getIngestTimestamp()).isEqualTo(3000L);
    assertThat(second.getOrigin()).isEqualTo(Origin.PULL);
    assertThat(second.getSource()).isNull();
    assertThat(s.labels()).isEqualTo(Map.of("job", "batch"));
  }

  @Test
  void theStaleMarkerKeepsItsBits() {
    double stale = Double.longBitsToDouble(0x7ff0000000000002L);
    ParsedSample s = new ParsedSample("up", Map.of(), SampleType.GAUGE, stale, 1L);

    assertThat(Double.doubleToRawLongBits(s.toAvro(Origin.PULL, 1L).getValue()))
        .isEqualTo(0x7ff0000000000002L);
  }
}
