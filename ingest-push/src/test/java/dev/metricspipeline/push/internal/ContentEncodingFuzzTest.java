package dev.metricspipeline.push.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The gzip path of every push endpoint on arbitrary bytes: a body decodes within the limit, or is
 * refused with 400 or 413 ({@link PushRejected}); nothing else escapes. The corpus is in {@code
 * src/test/resources/.../ContentEncodingFuzzTestInputs/}.
 */
class ContentEncodingFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void gzip(byte[] data) {
    byte[] out;
    try {
      out = ContentEncoding.decode(data, "gzip", 64 * 1024);
    } catch (PushRejected expected) {
      assertThat(expected.status()).isIn(400, 413);
      return;
    }
    assertThat(out.length).isLessThanOrEqualTo(64 * 1024);
  }
}
