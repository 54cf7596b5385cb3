package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RequestBodyTest {

  private static final Random RANDOM = new Random(42);

  /** Sends {@code total} random bytes in chunks of at most {@code chunk}; returns what was sent. */
  private static byte[] send(RequestBody body, int total, int chunk) {
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    while (sent.size() < total) {
      byte[] part = new byte[Math.min(1 + RANDOM.nextInt(chunk), total - sent.size())];
      RANDOM.nextBytes(part);
      body.append(Buffer.buffer(part));
      sent.writeBytes(part);
    }
    return sent.toByteArray();
  }

  @Test
  void aBodyOfItsDeclaredLengthIsItsChunksInOrder() {
    RequestBody body = new RequestBody(70_000);
    byte[] sent = send(body, 70_000, 8_192);
    assertThat(body.length()).isEqualTo(70_000);
    assertThat(body.bytes()).isEqualTo(sent);
  }

  @Test
  void aBodyWithoutALengthGrowsAsItArrives() {
    RequestBody body = new RequestBody(-1);
    byte[] sent = send(body, 300_001, 20_000);
    assertThat(body.bytes()).isEqualTo(sent);
  }

  @Test
  void aBodyLongerOrShorterThanDeclaredIsWhatArrived() {
    RequestBody longer = new RequestBody(10);
    byte[] more = send(longer, 5_000, 700);
    assertThat(longer.bytes()).isEqualTo(more);

    RequestBody shorter = new RequestBody(10_000);
    byte[] less = send(shorter, 2_500, 700);
    assertThat(shorter.bytes()).isEqualTo(less);
  }

  @Test
  void aDeclaredLengthBeyondTheFirstArrayLimitIsStillReadWhole() {
    int total = RequestBody.FIRST_ARRAY_LIMIT + 12_345;
    RequestBody body = new RequestBody(total);
    byte[] sent = send(body, total, 64 << 10);
    assertThat(body.bytes()).isEqualTo(sent);
  }

  @Test
  void anEmptyBodyIsEmpty() {
    assertThat(new RequestBody(0).bytes()).isEmpty();
    assertThat(new RequestBody(-1).bytes()).isEmpty();
  }
}
