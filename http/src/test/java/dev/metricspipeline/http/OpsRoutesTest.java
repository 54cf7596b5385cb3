package dev.metricspipeline.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpsRoutesTest {

  private final AtomicReference<String> notReady = new AtomicReference<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private Vertx vertx;
  private String url;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    OpsRoutes ops = OpsRoutes.of(() -> "up 1\n", notReady::get, "Ready");
    HttpServer server =
        WebServers.listen(
                vertx,
                WebConfig.none(),
                "127.0.0.1",
                0,
                req -> {
                  if (!ops.handle(req)) {
                    req.response().setStatusCode(404).end("the server's own\n");
                  }
                })
            .await(30, TimeUnit.SECONDS);
    url = "http://127.0.0.1:" + server.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theThreeEndpointsAnswerAndTheRestIsLeftToTheServer() throws Exception {
    HttpResponse<String> metrics = send("GET", "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).isEqualTo("up 1\n");
    assertThat(metrics.headers().firstValue("Content-Type")).contains(OpsRoutes.EXPOSITION);
    assertThat(send("GET", "/-/healthy").body()).isEqualTo("OK\n");
    HttpResponse<String> ready = send("GET", "/-/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("Ready\n");
    notReady.set("Kafka is not taking pushes");
    HttpResponse<String> notReadyNow = send("GET", "/-/ready");
    assertThat(notReadyNow.statusCode()).isEqualTo(503);
    assertThat(notReadyNow.body()).isEqualTo("Kafka is not taking pushes\n");
    assertThat(send("HEAD", "/-/healthy").statusCode()).isEqualTo(200);
    assertThat(send("POST", "/metrics").body()).isEqualTo("the server's own\n");
    assertThat(send("GET", "/elsewhere").body()).isEqualTo("the server's own\n");
  }
}
