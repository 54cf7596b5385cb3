package dev.metricspipeline.formats.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class NumbersTest {

  private static final String ALPHABET = "09+-.eE";

  /** Every string of up to 6 characters over the grammar's alphabet, plus longer cases. */
  private static List<String> corpus() {
    List<String> out =
        new ArrayList<>(
            List.of(
                "",
                "123456789012345",
                "1234567890123456",
                "-999999999999999",
                "+0",
                "-0",
                "-0.0",
                "007",
                "1e308",
                "1e309",
                "-1e-400",
                "0.1",
                "9007199254740993",
                "12345678901234567890",
                "1x",
                " 1",
                "1 ",
                "NaN",
                "-Inf",
                "+inf",
                "Infinity",
                "nan1",
                "0x1p-3",
                "1d"));
    List<String> level = List.of("");
    for (int length = 1; length <= 6; length++) {
      List<String> next = new ArrayList<>();
      for (String s : level) {
        for (char c : ALPHABET.toCharArray()) {
          next.add(s + c);
        }
      }
      out.addAll(next);
      level = next;
    }
    return out;
  }

  @Test
  void theHandWrittenGrammarAcceptsExactlyWhatThePatternDoes() {
    Pattern integer = Pattern.compile("[+-]?[0-9]+");
    for (String s : corpus()) {
      boolean decimal = Numbers.DECIMAL.matcher(s).matches();
      assertThat(Numbers.isDecimal(s)).as("isDecimal(\"%s\")", s).isEqualTo(decimal);
      assertThat(Numbers.isInteger(s))
          .as("isInteger(\"%s\")", s)
          .isEqualTo(integer.matcher(s).matches());
      if (decimal) {
        assertThat(Double.doubleToRawLongBits(Numbers.parseValue(s)))
            .as("parseValue(\"%s\")", s)
            .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(s)));
      }
    }
  }

  @Test
  void specialValuesInAnyCase() {
    assertThat(Numbers.parseValue("NaN")).isNaN();
    assertThat(Numbers.parseValue("-inf")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(Numbers.parseValue("+Infinity")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Numbers.parseValue("0x1p-3")).isNull();
    assertThat(Numbers.parseValue("1d")).isNull();
    assertThat(Numbers.parseValue("")).isNull();
  }
}
