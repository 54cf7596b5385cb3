package dev.metricspipeline.formats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The OpenMetrics parser test suite (prometheus/OpenMetrics, tests/testdata/parsers) from {@code
 * $CONFORMANCE_DIR/openmetrics/parsers}: every case with shouldParse=true parses, every other one
 * is refused with a ParseException. Skipped, saying so, where CONFORMANCE_DIR is unset; never in
 * CI.
 */
class OpenMetricsConformanceTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  static Path suite() {
    String dir = System.getenv("CONFORMANCE_DIR");
    if (dir == null || dir.isBlank()) {
      assertThat(System.getenv("CI")).as("CI must set CONFORMANCE_DIR").isNotEqualTo("true");
      Assumptions.abort("CONFORMANCE_DIR is not set: the OpenMetrics conformance suite is skipped");
    }
    Path suite = Path.of(dir, "openmetrics", "parsers");
    assertThat(suite).as("OpenMetrics suite in CONFORMANCE_DIR").isDirectory();
    return suite;
  }

  @TestFactory
  Stream<DynamicTest> openMetricsSuite() throws IOException {
    Path suite = suite();
    List<DynamicTest> tests = new ArrayList<>();
    int good = 0;
    int bad = 0;
    try (Stream<Path> cases = Files.list(suite).sorted()) {
      for (Path dir : cases.toList()) {
        JsonNode spec = JSON.readTree(dir.resolve("test.json").toFile());
        if (!"text".equals(spec.path("type").asText())) {
          continue;
        }
        Path file = dir.resolve(spec.path("file").asText("metrics"));
        byte[] body = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        boolean shouldParse = spec.path("shouldParse").asBoolean();
        if (shouldParse) {
          good++;
          tests.add(
              DynamicTest.dynamicTest(
                  dir.getFileName() + " parses",
                  () ->
                      assertThatCode(() -> TextFormatParser.openMetrics().parse(body, 0))
                          .doesNotThrowAnyException()));
        } else {
          bad++;
          tests.add(
              DynamicTest.dynamicTest(
                  dir.getFileName() + " is refused",
                  () ->
                      assertThatThrownBy(() -> TextFormatParser.openMetrics().parse(body, 0))
                          .isInstanceOf(ParseException.class)));
        }
      }
    }
    assertThat(good).as("good cases in the suite").isEqualTo(44);
    assertThat(bad).as("bad cases in the suite").isEqualTo(167);
    return tests.stream();
  }
}
