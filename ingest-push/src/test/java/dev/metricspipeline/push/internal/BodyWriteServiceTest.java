package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.formats.InfluxLineParser;
import dev.metricspipeline.formats.proto.remote.Remote.Label;
import dev.metricspipeline.formats.proto.remote.Remote.MetricMetadata;
import dev.metricspipeline.formats.proto.remote.Remote.Sample;
import dev.metricspipeline.formats.proto.remote.Remote.TimeSeries;
import dev.metricspipeline.formats.proto.remote.Remote.WriteRequest;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.schemas.MetricsPublisher.SideRecord;
import dev.metricspipeline.schemas.PublishException;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import dev.metricspipeline.schemas.avro.SampleType;
import dev.metricspipeline.testkit.TestClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class BodyWriteServiceTest {

  private final List<MetricSample> written = new ArrayList<>();
  private final List<SideRecord> sides = new ArrayList<>();
  private final MetadataStore metadata = new MetadataStore();
  private boolean kafkaDown;
  private final BodyWriteService service =
      service(PushGatewayConfig.defaults().withLabelLimits(3, 10, 8).withLimits(1 << 20, 64, 100));

  private BodyWriteService service(PushGatewayConfig config) {
    return service(config, Clock.systemUTC());
  }

  private BodyWriteService service(PushGatewayConfig config, Clock clock) {
    return new BodyWriteService(
        config,
        (samples, side) -> {
          if (kafkaDown) {
            return CompletableFuture.failedFuture(new PublishException("down", true, null));
          }
          written.addAll(samples);
          sides.addAll(side);
          return CompletableFuture.completedFuture(null);
        },
        clock,
        new SimpleMeterRegistry(),
        metadata,
        SeriesKey.standard());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void samplesAreStampedWithOriginAndAPushIdOfTheBody() throws Exception {
    int count =
        service
            .write(
                InfluxLineParser.withPrecision("s"),
                "influx",
                Origin.PUSH_INFLUX,
                utf8("cpu,host=h1 idle=1,user=2 1700000000"),
                "POST /write")
            .get();
    assertThat(count).isEqualTo(2);
    assertThat(written)
        .allSatisfy(
            s -> {
              assertThat(s.getOrigin()).isEqualTo(Origin.PUSH_INFLUX);
              assertThat(s.getPushId()).hasSize(32);
              assertThat(s.getSource()).isEqualTo("POST /write");
            });
  }

  @Test
  void aSampleWithoutATimeHasTheReceiveTimeAsBothItsTimeAndItsIngestTime() throws Exception {
    // The streams stage tells a sample that came without a time by the two being equal (its
    // retried-push check). A clock that moves on every reading shows a second reading.
    Clock ticking =
        TestClock.ticking(Instant.ofEpochMilli(1_700_000_000_000L), Duration.ofMillis(1));

    service(PushGatewayConfig.defaults(), ticking)
        .write(
            InfluxLineParser.withPrecision("s"),
            "influx",
            Origin.PUSH_INFLUX,
            utf8("cpu,host=h1 idle=1\ncpu,host=h1 user=2 1700000000"),
            "POST /write")
        .get();

    assertThat(written).hasSize(2);
    assertThat(written.get(0).getTimestamp()).isEqualTo(written.get(0).getIngestTimestamp());
    assertThat(written.get(1).getTimestamp()).isEqualTo(1_700_000_000_000L);
    assertThat(written.get(1).getIngestTimestamp()).isEqualTo(written.get(0).getIngestTimestamp());
  }

  @Test
  void negativeAndFarFutureTimestampsAreRefusedWholeNamingTheSeries() {
    assertThatThrownBy(
            () ->
                service.write(
                    InfluxLineParser.withPrecision("ns"),
                    "influx",
                    Origin.PUSH_INFLUX,
                    utf8("ok v=1\nm v=1 -9223372036854775806"),
                    "POST /write"))
        .isInstanceOf(PushRejected.class)
        .hasMessage(
            "influx: sample m_v has timestamp -9223372036854 ms, before 1970-01-01T00:00:00Z;"
                + " negative timestamps are refused")
        .satisfies(e -> assertThat(((PushRejected) e).status()).isEqualTo(400));
    long inTwoHours = System.currentTimeMillis() / 1000 + 7200;
    assertThatThrownBy(
            () ->
                service.write(
                    InfluxLineParser.withPrecision("s"),
                    "influx",
                    Origin.PUSH_INFLUX,
                    utf8("m v=1 " + inTwoHours),
                    "POST /write"))
        .isInstanceOf(PushRejected.class)
        .hasMessageStartingWith("influx: sample m_v has timestamp " + inTwoHours * 1000 + " ms")
        .hasMessageContaining("ahead of the receiving clock");
    assertThat(written).isEmpty();
  }

  @Test
  void labelLimitsApplyToEveryFormat() {
    assertThatThrownBy(
            () ->
                service.write(
                    InfluxLineParser.withPrecision("s"),
                    "influx",
                    Origin.PUSH_INFLUX,
                    utf8("cpu,host=much-too-long v=1"),
                    "POST /write"))
        .isInstanceOf(PushRejected.class)
        .hasMessage("cpu_v: the value of label host is longer than 8 characters");
    assertThatThrownBy(
            () ->
                service.write(
                    InfluxLineParser.withPrecision("s"),
                    "influx",
                    Origin.PUSH_INFLUX,
                    utf8("cpu,a=1,b=2,c=3,d=4 v=1"),
                    "POST /write"))
        .hasMessage("cpu_v has 4 labels; at most 3 are allowed");
    assertThatThrownBy(
            () ->
                service.write(
                    InfluxLineParser.withPrecision("s"),
                    "influx",
                    Origin.PUSH_INFLUX,
                    utf8("cpu,a_very_long_name=1 v=1"),
                    "POST /write"))
        .hasMessage("cpu_v: label name a_very_long_name... is longer than 10 characters");
    assertThat(written).isEmpty();
  }

  @Test
  void labelLimitsApplyToRemoteWriteSeriesEveryTimeTheyAreSent() throws Exception {
    // Sent three times: the third time both series come from the series cache, their label
    // lengths read off the cached set instead of walked.
    byte[] tooLong = remoteWrite("job", "much-too-long");
    byte[] atTheLimits = remoteWrite("ten_chars_", "8 chars!");
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> service.remoteWrite(tooLong, "rw"))
          .isInstanceOf(PushRejected.class)
          .hasMessage("up: the value of label job is longer than 8 characters");
      service.remoteWrite(atTheLimits, "rw").get();
    }
    assertThat(written)
        .hasSize(3)
        .allSatisfy(s -> assertThat(s.getLabels()).containsEntry("ten_chars_", "8 chars!"));
    assertThatThrownBy(() -> service.remoteWrite(remoteWrite("eleven_chrs", "v"), "rw"))
        .hasMessage("up: label name eleven_chrs... is longer than 10 characters");
  }

  private static byte[] remoteWrite(String label, String value) throws Exception {
    return Snappy.compress(
        WriteRequest.newBuilder()
            .addTimeseries(
                TimeSeries.newBuilder()
                    .addLabels(Label.newBuilder().setName("__name__").setValue("up"))
                    .addLabels(Label.newBuilder().setName(label).setValue(value))
                    .addSamples(
                        Sample.newBuilder().setValue(1).setTimestamp(System.currentTimeMillis())))
            .build()
            .toByteArray());
  }

  @Test
  void aRemoteWriteBodyOverTheDecompressedLimitIs413() throws Exception {
    byte[] body = Snappy.compress(new byte[100]);
    assertThatThrownBy(() -> service.remoteWrite(body, "POST /api/v1/write"))
        .isInstanceOf(PushRejected.class)
        .satisfies(e -> assertThat(((PushRejected) e).status()).isEqualTo(413))
        .hasMessage("the body declares 100 bytes decompressed; at most 64 are allowed");
  }

  @Test
  void remoteWriteMetadataSentAloneTypesTheSamplesOfLaterRequests() throws Exception {
    BodyWriteService service = service(PushGatewayConfig.defaults());
    WriteRequest metadataOnly =
        WriteRequest.newBuilder()
            .addMetadata(
                MetricMetadata.newBuilder()
                    .setMetricFamilyName("node_load1")
                    .setType(MetricMetadata.MetricType.GAUGE)
                    .setHelp("1m load average."))
            .build();
    kafkaDown = true;
    assertThatThrownBy(
            () -> service.remoteWrite(Snappy.compress(metadataOnly.toByteArray()), "rw").join())
        .hasCauseInstanceOf(PublishException.class);
    assertThat(metadata.type("node_load1")).as("not remembered unless committed").isNull();

    kafkaDown = false;
    service.remoteWrite(Snappy.compress(metadataOnly.toByteArray()), "rw").get();
    assertThat(sides)
        .singleElement()
        .satisfies(
            side -> {
              assertThat(side.topic()).isEqualTo("metrics.metadata");
              assertThat(side.key()).isEqualTo("node_load1");
              assertThat(new String(side.value(), StandardCharsets.UTF_8))
                  .isEqualTo("{\"type\":\"gauge\",\"help\":\"1m load average.\",\"unit\":\"\"}");
            });
    service.remoteWrite(Snappy.compress(metadataOnly.toByteArray()), "rw").get();
    assertThat(sides).as("unchanged metadata is not written again").hasSize(1);

    WriteRequest samples =
        WriteRequest.newBuilder()
            .addTimeseries(
                TimeSeries.newBuilder()
                    .addLabels(Label.newBuilder().setName("__name__").setValue("node_load1"))
                    .addSamples(
                        Sample.newBuilder().setValue(0.5).setTimestamp(System.currentTimeMillis())))
            .addTimeseries(
                TimeSeries.newBuilder()
                    .addLabels(Label.newBuilder().setName("__name__").setValue("x_total"))
                    .addSamples(
                        Sample.newBuilder().setValue(3).setTimestamp(System.currentTimeMillis())))
            .build();
    service.remoteWrite(Snappy.compress(samples.toByteArray()), "rw").get();
    assertThat(written)
        .extracting(MetricSample::getName, MetricSample::getType)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("node_load1", SampleType.GAUGE),
            org.assertj.core.groups.Tuple.tuple("x_total", SampleType.COUNTER));
  }
}
