package dev.metricspipeline.push.internal;

import dev.metricspipeline.schemas.SeriesKey;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A Pushgateway grouping key: {@code job} plus any further labels from the URL path {@code
 * /metrics/job/<job>{/<label>/<value>}}. A name written {@code <name>@base64} takes its value in
 * URL-safe base64 (padding optional, {@code =} alone for the empty value), for values that contain
 * a slash.
 *
 * @param labels the grouping labels, sorted by name; always contains a non-empty {@code job}
 */
public record GroupingKey(SortedMap<String, String> labels) {

  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  public GroupingKey {
    labels = new TreeMap<>(labels);
  }

  /**
   * Parses the path after {@code /metrics/}, still percent-encoded, e.g. {@code
   * job/batch/instance@base64/aG9zdC8x}.
   *
   * @throws IllegalArgumentException with a message for a 400 answer
   */
  public static GroupingKey parse(String encodedPath) {
    String[] segments = encodedPath.split("/", -1);
    if (segments.length > 2
        && segments.length % 2 == 1
        && segments[segments.length - 1].isEmpty()) {
      segments = Arrays.copyOf(segments, segments.length - 1); // a trailing slash
    }
    if (segments.length < 2 || !(segments[0].equals("job") || segments[0].equals("job@base64"))) {
      throw new IllegalArgumentException("the path must start with /metrics/job/<job name>");
    }
    if (segments.length % 2 != 0) {
      throw new IllegalArgumentException(
          "the grouping key must be pairs of /<label name>/<value>; the last label has no value");
    }
    SortedMap<String, String> labels = new TreeMap<>();
    for (int i = 0; i < segments.length; i += 2) {
      String name = decode(segments[i]);
      String value = decode(segments[i + 1]);
      if (name.endsWith("@base64")) {
        name = name.substring(0, name.length() - "@base64".length());
        value = base64(name, value);
      }
      if (!LABEL_NAME.matcher(name).matches() || name.startsWith("__")) {
        throw new IllegalArgumentException(
            "\"" + name + "\" is not a valid label name for a grouping key");
      }
      if (labels.put(name, value) != null) {
        throw new IllegalArgumentException(
            "label \"" + name + "\" appears twice in the grouping key");
      }
    }
    if (labels.get("job").isEmpty()) {
      throw new IllegalArgumentException("the job name must not be empty");
    }
    return new GroupingKey(labels);
  }

  private static String decode(String segment) {
    try {
      return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "invalid percent-encoding in \"" + segment + "\": " + e.getMessage());
    }
  }

  private static String base64(String name, String value) {
    if (value.equals("=")) {
      return "";
    }
    try {
      String unpadded = value.replace("=", "");
      return new String(Base64.getUrlDecoder().decode(unpadded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the value of " + name + "@base64 is not URL-safe base64: " + e.getMessage());
    }
  }

  /** {@code instance="a",job="b"}: the key of the group in the group topic and in samples. */
  public String canonical() {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(e.getKey())
          .append("=\"")
          .append(SeriesKey.escapeLabelValue(e.getValue()))
          .append('"');
    }
    return out.toString();
  }
}
