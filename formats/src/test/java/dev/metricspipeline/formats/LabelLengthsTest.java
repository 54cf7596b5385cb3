package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metricspipeline.formats.internal.FrozenLabels;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LabelLengthsTest {

  @Test
  void frozenAndPlainLabelSetsAnswerTheLongestNameAndValueAlike() {
    Random random = new Random(5);
    for (int i = 0; i < 2_000; i++) {
      Map<String, String> plain = new HashMap<>();
      int longestName = 0;
      int longestValue = 0;
      for (int n = random.nextInt(8); n > 0; n--) {
        String name = text(random, 1 + random.nextInt(20));
        String value = text(random, random.nextInt(40));
        if (plain.put(name, value) == null) {
          longestName = Math.max(longestName, name.length());
        }
      }
      for (String value : plain.values()) {
        longestValue = Math.max(longestValue, value.length());
      }
      Map<String, String> frozen = FrozenLabels.of(plain);

      assertThat(LabelLengths.longestName(plain)).as("%s", plain).isEqualTo(longestName);
      assertThat(LabelLengths.longestValue(plain)).as("%s", plain).isEqualTo(longestValue);
      assertThat(LabelLengths.longestName(frozen)).as("%s", plain).isEqualTo(longestName);
      assertThat(LabelLengths.longestValue(frozen)).as("%s", plain).isEqualTo(longestValue);
    }
  }

  /** Letters, with a non-ASCII one now and then: lengths are in chars, not UTF-8 bytes. */
  private static String text(Random random, int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(random.nextInt(10) == 0 ? 'é' : (char) ('a' + random.nextInt(3)));
    }
    return out.toString();
  }
}
