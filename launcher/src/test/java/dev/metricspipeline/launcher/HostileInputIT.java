package dev.metricspipeline.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A few hundred malformed, oversized, bomb and boundary requests to every HTTP server of a running
 * {@code run} (push gateway, query API, scraper, Schema Registry): every answer is 2xx or 4xx,
 * never a 5xx a client would retry forever; afterwards every stage is still up and a good push
 * still gets its rollup. The bodies come from a fixed seed, so a failure replays.
 */
class HostileInputIT {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final String VALID_TEXT =
      "# TYPE jobs_total counter\njobs_total{kind=\"a\"} 3\njobs_total{kind=\"b\"} 4\n";
  private static final String VALID_INFLUX = "cpu,host=a usage=1.5,idle=98i 1700000000000000000\n";

  @TempDir Path dataDir;

  /** One request: where, how, what, and the status it got. */
  private record Sent(String what, int status) {}

  private final List<Sent> sent = new ArrayList<>();
  private final Random random = new Random(20261129);

  private void send(String what, HttpRequest.Builder request) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    sent.add(
        new Sent(
            what + " -> " + response.body().lines().findFirst().orElse(""), response.statusCode()));
  }

  private void post(String what, String url, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    send(what, request);
  }

  private byte[] randomBytes(int max) {
    byte[] b = new byte[random.nextInt(max + 1)];
    random.nextBytes(b);
    return b;
  }

  /** A valid body cut short, or with a few bytes flipped. */
  private byte[] mutated(byte[] valid) {
    byte[] b =
        Arrays.copyOf(valid, random.nextBoolean() ? random.nextInt(valid.length) : valid.length);
    for (int i = 0, n = 1 + random.nextInt(3); i < n && b.length > 0; i++) {
      b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
    }
    return b;
  }

  private static String[] with(String[] headers, String name, String value) {
    String[] out = Arrays.copyOf(headers, headers.length + 2);
    out[headers.length] = name;
    out[headers.length + 1] = value;
    return out;
  }

  private static byte[] validRemoteWrite() throws Exception {
    return org.xerial.snappy.Snappy.compress(
        dev.metricspipeline.formats.proto.remote.Remote.WriteRequest.newBuilder()
            .addTimeseries(
                dev.metricspipeline.formats.proto.remote.Remote.TimeSeries.newBuilder()
                    .addLabels(
                        dev.metricspipeline.formats.proto.remote.Remote.Label.newBuilder()
                            .setName("__name__")
                            .setValue("rw_total"))
                    .addSamples(
                        dev.metricspipeline.formats.proto.remote.Remote.Sample.newBuilder()
                            .setValue(1)
                            .setTimestamp(System.currentTimeMillis())))
            .build()
            .toByteArray());
  }

  private static byte[] gzip(byte[] data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private static byte[] gzipBomb() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 100; i++) {
        gz.write(zeros); // 100 MiB of zeros, ~100 KiB on the wire
      }
    }
    return out.toByteArray();
  }

  @Test
  void hostileRequestsGet4xxAndThePipelineGoesOn() throws Exception {
    try (RunCommand.Running running = TestPipelines.start(dataDir, "--rollup-grace", "PT2S")) {
      String push = running.pushUrl();
      Map<String, String> pushEndpoints = new LinkedHashMap<>();
      pushEndpoints.put("POST /metrics/job/h", push + "/metrics/job/h");
      pushEndpoints.put("POST /metrics/job@base64/aA==/x/y", push + "/metrics/job@base64/aA==/x/y");
      pushEndpoints.put("POST /api/v1/write", push + "/api/v1/write");
      pushEndpoints.put("POST /write", push + "/write");
      pushEndpoints.put("POST /api/v2/write", push + "/api/v2/write?precision=s");
      byte[] bomb = gzipBomb();
      for (Map.Entry<String, String> e : pushEndpoints.entrySet()) {
        String name = e.getKey();
        String url = e.getValue();
        boolean remoteWrite = name.contains("/api/v1/write");
        byte[] valid =
            remoteWrite
                ? validRemoteWrite()
                : (name.contains("write") ? VALID_INFLUX : VALID_TEXT)
                    .getBytes(StandardCharsets.UTF_8);
        String[] type =
            remoteWrite ? new String[] {"Content-Type", "application/x-protobuf"} : new String[0];
        for (int i = 0; i < 30; i++) {
          post(name + " random", url, randomBytes(2000), type);
        }
        for (int i = 0; i < 20; i++) {
          post(name + " mutated", url, mutated(valid), type);
        }
        post(name + " gzip bomb", url, bomb, with(type, "Content-Encoding", "gzip"));
        post(
            name + " gzip of random",
            url,
            gzip(randomBytes(500)),
            with(type, "Content-Encoding", "gzip"));
        post(name + " not gzip", url, randomBytes(100), with(type, "Content-Encoding", "gzip"));
        post(name + " brotli", url, valid, with(type, "Content-Encoding", "br"));
        post(name + " empty", url, new byte[0], type);
        post(
            name + " invalid UTF-8",
            url,
            new byte[] {'m', ' ', (byte) 0xc3, (byte) 0x28, '\n'},
            type);
        post(
            name + " label value over the limit",
            url,
            ("m{l=\"" + "x".repeat(5000) + "\"} 1\n").getBytes(StandardCharsets.UTF_8));
      }
      post(
          "POST /api/v1/write snappy bomb header",
          push + "/api/v1/write",
          new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0, 0},
          "Content-Type",
          "application/x-protobuf");
      post(
          "POST /metrics/job/big over 16 MiB", push + "/metrics/job/big", new byte[(16 << 20) + 1]);
      send(
          "DELETE /metrics/job/",
          HttpRequest.newBuilder(URI.create(push + "/metrics/job/")).DELETE());
      send(
          "PUT /metrics/job/x/instance (odd path)",
          HttpRequest.newBuilder(URI.create(push + "/metrics/job/x/instance"))
              .PUT(HttpRequest.BodyPublishers.ofString(VALID_TEXT)));

      String query = running.queryUrl();
      for (int i = 0; i < 40; i++) {
        String garbage = new String(randomBytes(60), StandardCharsets.ISO_8859_1);
        String q = URLEncoder.encode(garbage, StandardCharsets.UTF_8);
        send(
            "GET /api/v1/query",
            HttpRequest.newBuilder(URI.create(query + "/api/v1/query?query=" + q)));
        send(
            "GET /api/v1/query_range",
            HttpRequest.newBuilder(
                URI.create(
                    query + "/api/v1/query_range?query=" + q + "&start=x&end=" + i + "&step=-1")));
        send(
            "GET /api/v1/series",
            HttpRequest.newBuilder(URI.create(query + "/api/v1/series?match[]=" + q)));
        send(
            "GET /api/v1/label/x/values",
            HttpRequest.newBuilder(
                URI.create(
                    query + "/api/v1/label/" + (i % 2 == 0 ? "x" : "%00") + "/values?start=" + q)));
      }
      send(
          "POST /api/v1/query huge form",
          HttpRequest.newBuilder(URI.create(query + "/api/v1/query"))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[2 << 20])));

      String registry = running.schemaRegistryUrl();
      for (int i = 0; i < 30; i++) {
        post(
            "POST /subjects/hostile-value/versions",
            registry + "/subjects/hostile-value/versions",
            i % 2 == 0
                ? randomBytes(300)
                : ("{\"schema\":\"" + i + "{\"}").getBytes(StandardCharsets.UTF_8),
            "Content-Type",
            "application/vnd.schemaregistry.v1+json");
        send(
            "GET /schemas/ids/",
            HttpRequest.newBuilder(
                URI.create(registry + "/schemas/ids/" + (i % 3 == 0 ? "-1" : "99999" + i))));
      }

      String scraper = running.scraperUrl();
      for (int i = 0; i < 10; i++) {
        send(
            "GET /api/v1/targets",
            HttpRequest.newBuilder(
                URI.create(
                    scraper
                        + "/api/v1/targets?state="
                        + URLEncoder.encode(
                            new String(randomBytes(20), StandardCharsets.ISO_8859_1),
                            StandardCharsets.UTF_8))));
      }
      post("POST scraper /metrics", scraper + "/metrics", randomBytes(100));

      assertThat(sent).as("requests sent").hasSizeGreaterThan(400);
      assertThat(sent)
          .as("every answer is 2xx or 4xx")
          .allSatisfy(s -> assertThat(s.status()).as(s.what()).isBetween(200, 499));
      assertThat(sent)
          .filteredOn(
              s ->
                  s.what().contains("gzip bomb")
                      || s.what().contains("over 16 MiB")
                      || s.what().contains("snappy bomb"))
          .allSatisfy(
              s ->
                  assertThat(s.status())
                      .as(s.what())
                      // remote_write is snappy only: a gzip body is refused before it is inflated
                      .isEqualTo(s.what().startsWith("POST /api/v1/write gzip") ? 415 : 413));

      // The pipeline goes on: every stage up, and a good push gets its rollup.
      HttpResponse<String> ready =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(push + "/-/ready")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
      post("good", push + "/metrics/job/survivor", "survived 1\n".getBytes(StandardCharsets.UTF_8));
      assertThat(sent.get(sent.size() - 1).status()).isEqualTo(200);
      String seriesUrl = query + "/api/v1/series?match[]=survived";
      org.awaitility.Awaitility.await("the survivor's rollup in the query API")
          .atMost(Duration.ofSeconds(150))
          .until(
              () ->
                  HTTP.send(
                          HttpRequest.newBuilder(URI.create(seriesUrl)).build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body()
                      .contains("\"job\":\"survivor\""));
      String metrics = TestPipelines.selfMetrics(running);
      assertThat(metrics)
          .contains("stage_up{stage=\"streams\"} 1.0")
          .contains("stage_up{stage=\"normalizer\"} 1.0");
      System.out.printf(
          "HostileInputIT: %d requests, statuses %s%n",
          sent.size(),
          sent.stream()
              .collect(
                  java.util.stream.Collectors.groupingBy(
                      Sent::status,
                      java.util.TreeMap::new,
                      java.util.stream.Collectors.counting())));
    }
  }
}
