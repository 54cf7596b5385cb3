package dev.metricspipeline.push.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** A request body's {@code Content-Encoding} undone: identity or gzip, with a size limit. */
final class ContentEncoding {

  private ContentEncoding() {}

  /**
   * The decoded body.
   *
   * @throws PushRejected 415 for an encoding other than gzip or identity, 413 past {@code
   *     maxDecompressedBytes} (checked while inflating, so a gzip bomb costs at most that much),
   *     400 for a body that is not gzip
   */
  static byte[] decode(byte[] body, String encoding, long maxDecompressedBytes) {
    if (encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("identity")) {
      return body;
    }
    if (!encoding.equalsIgnoreCase("gzip")) {
      throw new PushRejected(
          415,
          "content-encoding",
          "Content-Encoding " + encoding + " is not supported; use gzip or none");
    }
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      ByteArrayOutputStream out =
          new ByteArrayOutputStream(
              (int) Math.min(maxDecompressedBytes, Math.max(32, body.length * 4L)));
      byte[] chunk = new byte[8192];
      long total = 0;
      int n;
      while ((n = in.read(chunk)) > 0) {
        total += n;
        if (total > maxDecompressedBytes) {
          throw new PushRejected(
              413,
              "limit",
              "the body decompresses to more than " + maxDecompressedBytes + " bytes");
        }
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new PushRejected(400, "gzip", "the body is not valid gzip: " + e.getMessage());
    }
  }
}
