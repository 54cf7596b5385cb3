package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.metricspipeline.push.PushGatewayConfig;
import dev.metricspipeline.push.SampleWriter;
import dev.metricspipeline.schemas.MetricsPublisher.SideRecord;
import dev.metricspipeline.schemas.SeriesKey;
import dev.metricspipeline.schemas.avro.MetricSample;
import dev.metricspipeline.schemas.serde.EncodedSeries;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * A push gateway with group memos writes exactly what one without them writes, push after push, and
 * hands the publisher each pushed sample's series encoded, under its right id.
 */
class PushMemoTest {

  private static final long NOW = 1_700_000_000_000L;
  private static final SeriesKey KEYS = SeriesKey.standard();

  /** What a service handed its writer, per push. */
  private static final class Recorder implements SampleWriter {
    final List<List<MetricSample>> samples = new ArrayList<>();
    final List<List<EncodedSeries>> series = new ArrayList<>();
    final List<String> states = new ArrayList<>();

    @Override
    public CompletableFuture<Void> write(List<MetricSample> s, List<SideRecord> sides) {
      return write(s, null, sides);
    }

    @Override
    public CompletableFuture<Void> write(
        List<MetricSample> s, List<EncodedSeries> encoded, List<SideRecord> sides) {
      samples.add(List.copyOf(s));
      series.add(encoded);
      for (SideRecord side : sides) {
        states.add(new String(side.value(), StandardCharsets.UTF_8));
      }
      return CompletableFuture.completedFuture(null);
    }
  }

  private static PushService service(GroupStore store, Recorder writer) {
    return new PushService(
        PushGatewayConfig.defaults(),
        store,
        writer,
        KEYS,
        Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
        new SimpleMeterRegistry());
  }

  private static Throwable push(
      PushService service, PushService.Method method, String group, String body) {
    PushService.PushRequest request =
        new PushService.PushRequest(
            method,
            GroupingKey.parse(group),
            body.getBytes(StandardCharsets.UTF_8),
            "text/plain; version=0.0.4",
            "push",
            Optional.of("key-" + body.hashCode()));
    try {
      service.push(request).get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** A body of a few families whose series, types and values drift from push to push. */
  private static String body(Random random) {
    StringBuilder b = new StringBuilder();
    String type = random.nextInt(8) == 0 ? "counter" : "gauge";
    b.append("# TYPE requests ").append(type).append('\n');
    int series = 1 + random.nextInt(12);
    for (int i = 0; i < series; i++) {
      b.append("requests{path=\"/p")
          .append(2 * i + random.nextInt(2))
          .append("\",code=\"")
          .append(200 + random.nextInt(3))
          .append('"');
      if (random.nextInt(6) == 0) {
        b.append(",job=\"overridden\""); // the grouping label wins
      }
      b.append("} ").append(random.nextInt(1000)).append('\n');
    }
    if (random.nextBoolean()) {
      b.append("# TYPE latency summary\n");
      b.append("latency_sum ").append(random.nextDouble()).append('\n');
      b.append("latency_count ").append(random.nextInt(50)).append('\n');
    }
    if (random.nextInt(5) == 0) {
      b.append("requests{path=\"/p1\"} 1\nrequests{path=\"/p1\"} 2\n"); // twice: refused
    }
    if (random.nextInt(10) == 0) {
      b.append("broken{ 1\n");
    }
    return b.toString();
  }

  /**
   * Each sample's fields: Avro's record equality never holds for a NaN value (a stale marker), and
   * {@code Double.equals} compares the bits.
   */
  private static List<List<List<Object>>> fields(List<List<MetricSample>> pushes) {
    List<List<List<Object>>> out = new ArrayList<>();
    for (List<MetricSample> push : pushes) {
      List<List<Object>> samples = new ArrayList<>();
      for (MetricSample s : push) {
        List<Object> f = new ArrayList<>();
        for (int i = 0; i < MetricSample.getClassSchema().getFields().size(); i++) {
          f.add(s.get(i));
        }
        samples.add(f);
      }
      out.add(samples);
    }
    return out;
  }

  @Test
  void pushesWriteTheSameWithAndWithoutMemos() {
    Recorder withMemos = new Recorder();
    Recorder without = new Recorder();
    GroupStore memoStore = new GroupStore();
    PushService memoService = service(memoStore, withMemos);
    PushService plain = service(new GroupStore(0), without);
    Random random = new Random(7);
    PushService.Method[] methods = PushService.Method.values();
    int refused = 0;
    for (int i = 0; i < 600; i++) {
      PushService.Method method = methods[random.nextInt(10) == 0 ? 2 : random.nextInt(2)];
      String group = "job/batch/instance/" + random.nextInt(4);
      String body = method == PushService.Method.DELETE ? "" : body(random);
      Throwable a = push(memoService, method, group, body);
      Throwable b = push(plain, method, group, body);
      assertThat(a == null ? null : a.getMessage())
          .as("push %d", i)
          .isEqualTo(b == null ? null : b.getMessage());
      refused += a == null ? 0 : 1;
    }
    assertThat(refused).as("refused pushes among them").isBetween(60, 300);
    assertThat(fields(withMemos.samples)).isEqualTo(fields(without.samples));
    assertThat(withMemos.states).isEqualTo(without.states);

    int copied = 0;
    for (int p = 0; p < withMemos.samples.size(); p++) {
      List<MetricSample> samples = withMemos.samples.get(p);
      List<EncodedSeries> series = withMemos.series.get(p);
      if (series == null) {
        continue; // a DELETE or a refused push's failure time
      }
      assertThat(series).hasSameSizeAs(samples);
      for (int i = 0; i < samples.size(); i++) {
        if (series.get(i) != null) {
          assertThat(series.get(i).id()).isEqualTo(KEYS.idOf(samples.get(i)));
          copied += series.get(i).describes(samples.get(i)) ? 1 : 0;
        }
      }
    }
    assertThat(copied).as("samples written from their encoded series").isGreaterThan(1_000);
    assertThat(memoStore.memoized()).isBetween(1, 4 * 14);
  }

  @Test
  void aRepeatedPushReusesItsSeriesAndTheirEncodings() {
    Recorder writer = new Recorder();
    GroupStore store = new GroupStore();
    PushService service = service(store, writer);
    String body = "# TYPE up gauge\nup{a=\"1\"} 1\nup{a=\"2\"} 0\n";
    assertThat(push(service, PushService.Method.PUT, "job/x", body)).isNull();
    assertThat(push(service, PushService.Method.PUT, "job/x", body.replace(" 0", " 5"))).isNull();
    List<MetricSample> first = writer.samples.get(0);
    List<MetricSample> second = writer.samples.get(1);
    assertThat(second.get(0).getLabels()).isSameAs(first.get(0).getLabels());
    assertThat(second.get(1).getLabels()).isSameAs(first.get(1).getLabels());
    assertThat(second.get(1).getValue()).isEqualTo(5);
    assertThat(writer.series.get(1).get(0)).isSameAs(writer.series.get(0).get(0));
    assertThat(writer.series.get(1).get(0).describes(second.get(0))).isTrue();
    assertThat(store.memoized()).isEqualTo(2);

    assertThat(push(service, PushService.Method.DELETE, "job/x", "")).isNull();
    assertThat(store.memoized()).isZero();
  }

  @Test
  void aSeriesPushedAgainUnderAnotherTypeOrFamilyIsNotTakenFromTheMemo() {
    Recorder writer = new Recorder();
    PushService service = service(new GroupStore(), writer);
    assertThat(push(service, PushService.Method.PUT, "job/x", "# TYPE up gauge\nup 1\n")).isNull();
    assertThat(push(service, PushService.Method.PUT, "job/x", "# TYPE up counter\nup 2\n"))
        .isNull();
    assertThat(writer.states.get(1)).contains("\"type\":\"COUNTER\"");
    assertThat(writer.samples.get(1).get(0).getLabels())
        .isNotSameAs(writer.samples.get(0).get(0).getLabels());
    assertThat(push(service, PushService.Method.PUT, "job/x", "# TYPE a summary\na_count 2\n"))
        .isNull();
    assertThat(push(service, PushService.Method.PUT, "job/x", "# TYPE a_count gauge\na_count 3\n"))
        .isNull();
    assertThat(writer.states.get(3)).contains("\"family\":\"a_count\"");
  }

  @Test
  void noGroupGetsAMemoOnceTheBoundIsReached() {
    Recorder writer = new Recorder();
    GroupStore store = new GroupStore(3);
    PushService service = service(store, writer);
    String body = "a 1\nb 2\nc 3\nd 4\n";
    assertThat(push(service, PushService.Method.PUT, "job/one", body)).isNull();
    assertThat(push(service, PushService.Method.PUT, "job/two", body)).isNull();
    assertThat(push(service, PushService.Method.PUT, "job/one", body)).isNull();
    assertThat(store.memoized()).isEqualTo(4);
    assertThat(writer.series.get(1)).isNull();
    assertThat(catchThrowable(() -> writer.series.get(2).get(0).id())).isNull();
  }
}
