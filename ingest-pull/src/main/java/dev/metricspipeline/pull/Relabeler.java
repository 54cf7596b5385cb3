package dev.metricspipeline.pull;

import dev.metricspipeline.promql.GoRegex;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;

/**
 * Applies relabeling steps in order, exactly as Prometheus does ({@code model/relabel/relabel.go}):
 * source label values are joined by the separator; {@code replace} writes the expanded replacement
 * to the (expanded) target label when the regex matches, and an empty result deletes the label;
 * {@code keep}/{@code drop} keep or drop the whole label set; {@code keepequal}/{@code dropequal}
 * compare the joined value with the target label's; {@code hashmod} writes MD5(value) mod modulus
 * (the low 8 bytes, big-endian, as Prometheus's {@code sum64}); {@code labelmap} copies labels
 * whose names match to the expanded replacement; {@code labeldrop}/{@code labelkeep} filter label
 * names; {@code lowercase}/{@code uppercase} write the changed value. References are Go's: {@code
 * $1}, {@code ${1}}, {@code $name}, {@code $$}.
 */
public final class Relabeler {

  private Relabeler() {}

  /**
   * Relabels a copy of {@code labels}.
   *
   * @return the new labels, or null if a step dropped them
   */
  public static TreeMap<String, String> apply(
      Map<String, String> labels, List<RelabelConfig> steps) {
    TreeMap<String, String> out = new TreeMap<>(labels);
    for (RelabelConfig step : steps) {
      if (!applyOne(out, step)) {
        return null;
      }
    }
    return out;
  }

  private static boolean applyOne(TreeMap<String, String> labels, RelabelConfig c) {
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < c.sourceLabels().size(); i++) {
      if (i > 0) {
        joined.append(c.separator());
      }
      joined.append(labels.getOrDefault(c.sourceLabels().get(i), ""));
    }
    String value = joined.toString();
    switch (c.action()) {
      case DROP -> {
        return !c.regex().matcher(value).matches();
      }
      case KEEP -> {
        return c.regex().matcher(value).matches();
      }
      case DROPEQUAL -> {
        return !value.equals(labels.getOrDefault(c.targetLabel(), ""));
      }
      case KEEPEQUAL -> {
        return value.equals(labels.getOrDefault(c.targetLabel(), ""));
      }
      case REPLACE -> {
        Matcher m = c.regex().matcher(value);
        if (!m.matches()) {
          return true;
        }
        String target = GoRegex.expand(m, c.targetLabel());
        if (!target.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
          return true;
        }
        String result = GoRegex.expand(m, c.replacement());
        if (result.isEmpty()) {
          labels.remove(target);
        } else {
          labels.put(target, result);
        }
      }
      case LOWERCASE -> labels.put(c.targetLabel(), value.toLowerCase(Locale.ROOT));
      case UPPERCASE -> labels.put(c.targetLabel(), value.toUpperCase(Locale.ROOT));
      case HASHMOD -> {
        long mod = Long.remainderUnsigned(sum64(value), c.modulus());
        labels.put(c.targetLabel(), Long.toUnsignedString(mod));
      }
      case LABELMAP -> {
        TreeMap<String, String> added = new TreeMap<>();
        for (Map.Entry<String, String> e : labels.entrySet()) {
          Matcher m = c.regex().matcher(e.getKey());
          if (m.matches()) {
            added.put(GoRegex.expand(m, c.replacement()), e.getValue());
          }
        }
        labels.putAll(added);
      }
      case LABELDROP, LABELKEEP -> {
        boolean drop = c.action() == RelabelConfig.Action.LABELDROP;
        Iterator<String> names = labels.keySet().iterator();
        while (names.hasNext()) {
          if (c.regex().matcher(names.next()).matches() == drop) {
            names.remove();
          }
        }
      }
      default -> throw new IllegalStateException(c.action().toString());
    }
    return true;
  }

  /** Prometheus's {@code sum64(md5.Sum(value))}: the last 8 bytes, big-endian. */
  static long sum64(String value) {
    try {
      byte[] md5 = MessageDigest.getInstance("MD5").digest(value.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(md5, 8, 8).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is missing from this JVM", e);
    }
  }
}
