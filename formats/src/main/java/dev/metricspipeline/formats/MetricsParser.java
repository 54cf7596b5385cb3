package dev.metricspipeline.formats;

/**
 * A pure function from a request or message body to samples. No I/O; thread-safe.
 *
 * <p>All or nothing: a body with one bad line is refused whole with a {@link ParseException} naming
 * the line and column.
 */
public interface MetricsParser {

  /**
   * Parses a body.
   *
   * @param body the bytes as received (already decompressed)
   * @param defaultTimestampMs the time given to samples that carry none (receive or scrape time)
   */
  ParseResult parse(byte[] body, long defaultTimestampMs) throws ParseException;
}
