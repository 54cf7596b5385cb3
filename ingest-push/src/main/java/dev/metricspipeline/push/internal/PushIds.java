package dev.metricspipeline.push.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Push ids derived from what was sent: the first 16 bytes of SHA-256, in hex, over the parts with a
 * zero byte between them. The same request sent again gets the same id, which is how the streams
 * stage recognises a retry.
 */
final class PushIds {
  private PushIds() {}

  static String digest(byte[]... parts) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (int i = 0; i < parts.length; i++) {
        if (i > 0) {
          sha.update((byte) 0);
        }
        sha.update(parts[i]);
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
