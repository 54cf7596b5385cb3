package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metricspipeline.formats.InfluxLineParser;
import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.avro.Origin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class BodyWriteServiceTest {

  private final List<MetricSample> written = new ArrayList<>();
  private final BodyWriteService service =
      new BodyWriteService(
          PushGatewayConfig.defaults().withLabelLimits(3, 10, 8).withLimits(1 << 20, 64, 100),
          (samples, side) -> {
            written.addAll(samples);
            return CompletableFuture.completedFuture(null);
          },
          Clock.systemUTC(),
          new SimpleMeterRegistry());

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
  void aRemoteWriteBodyOverTheDecompressedLimitIs413() throws Exception {
    byte[] body = Snappy.compress(new byte[100]);
    assertThatThrownBy(
            () ->
                service.write(
                    service.remoteWriteParser(),
                    "remote_write",
                    Origin.PUSH_REMOTE_WRITE,
                    body,
                    "POST /api/v1/write"))
        .isInstanceOf(PushRejected.class)
        .satisfies(e -> assertThat(((PushRejected) e).status()).isEqualTo(413))
        .hasMessage("the body declares 100 bytes decompressed; at most 64 are allowed");
  }
}
