package dev.metricspipeline.push.internal;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;

/**
 * A request body as its chunks arrive, collected straight into one array. When the request declares
 * its {@code Content-Length} the array is made that size at once (up to {@link
 * #FIRST_ARRAY_LIMIT}), so a whole body is copied once, from the connection's chunks, and {@link
 * #bytes()} hands over the array itself. Without a length (chunked), or when the chunks disagree
 * with it, the array doubles as needed and {@link #bytes()} returns a copy of the right length.
 *
 * <p>The first array is capped so that a client declaring a large body it does not send cannot make
 * the gateway allocate it; the body limit is checked by the caller, chunk by chunk. Not
 * thread-safe: one request's chunks arrive on its event loop.
 */
final class RequestBody {

  /** The largest first array, whatever {@code Content-Length} says: 1 MiB. */
  static final int FIRST_ARRAY_LIMIT = 1 << 20;

  private static final int NO_LENGTH_FIRST = 8 << 10;
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

  private final long declared;
  private byte[] bytes;
  private int length;

  /**
   * @param declared the {@code Content-Length} of the request, or a negative number if it has none
   */
  RequestBody(long declared) {
    this.declared = declared;
    this.bytes =
        new byte[(int) (declared >= 0 ? Math.min(declared, FIRST_ARRAY_LIMIT) : NO_LENGTH_FIRST)];
  }

  /** The bytes received so far. */
  int length() {
    return length;
  }

  /** Appends a chunk. */
  void append(Buffer chunk) {
    int n = chunk.length();
    if (n > bytes.length - length) {
      grow((long) length + n);
    }
    chunk.getBytes(0, n, bytes, length);
    length += n;
  }

  private void grow(long needed) {
    if (needed > MAX_ARRAY) {
      throw new IllegalStateException(
          "a request body of " + needed + " bytes does not fit an array");
    }
    long size = Math.max(needed, 2L * bytes.length);
    if (declared >= needed) {
      size = Math.min(size, declared); // the body as declared, not twice it
    }
    bytes = Arrays.copyOf(bytes, (int) Math.min(size, MAX_ARRAY));
  }

  /** The whole body: the array itself when it is exactly full, else a copy of its length. */
  byte[] bytes() {
    return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
  }
}
