package dev.metricspipeline.embedded.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CompatibilityLevelTest {

  private static final Schema V1 =
      SchemaBuilder.record("W").fields().requiredString("id").endRecord();
  private static final Schema ADD_WITH_DEFAULT =
      SchemaBuilder.record("W")
          .fields()
          .requiredString("id")
          .name("c")
          .type()
          .intType()
          .intDefault(0)
          .endRecord();
  private static final Schema ADD_REQUIRED =
      SchemaBuilder.record("W").fields().requiredString("id").requiredInt("c").endRecord();
  private static final Schema REMOVE_ID = SchemaBuilder.record("W").fields().endRecord();
  private static final Schema ID_WITH_DEFAULT =
      SchemaBuilder.record("W")
          .fields()
          .name("id")
          .type()
          .stringType()
          .stringDefault("x")
          .endRecord();

  static Stream<Arguments> cases() {
    return Stream.of(
        // level, existing versions, candidate, compatible?
        Arguments.of(CompatibilityLevel.NONE, List.of(V1), ADD_REQUIRED, true),
        Arguments.of(CompatibilityLevel.BACKWARD, List.of(V1), ADD_WITH_DEFAULT, true),
        Arguments.of(CompatibilityLevel.BACKWARD, List.of(V1), ADD_REQUIRED, false),
        Arguments.of(CompatibilityLevel.BACKWARD, List.of(V1), REMOVE_ID, true),
        Arguments.of(CompatibilityLevel.FORWARD, List.of(V1), ADD_REQUIRED, true),
        Arguments.of(CompatibilityLevel.FORWARD, List.of(V1), REMOVE_ID, false),
        Arguments.of(CompatibilityLevel.FULL, List.of(V1), ADD_WITH_DEFAULT, true),
        Arguments.of(CompatibilityLevel.FULL, List.of(V1), ADD_REQUIRED, false),
        Arguments.of(CompatibilityLevel.FULL, List.of(V1), REMOVE_ID, false),
        // Non-transitive levels look at the latest version only; transitive ones at all.
        Arguments.of(CompatibilityLevel.BACKWARD, List.of(REMOVE_ID, ID_WITH_DEFAULT), V1, true),
        Arguments.of(
            CompatibilityLevel.BACKWARD_TRANSITIVE, List.of(REMOVE_ID, ID_WITH_DEFAULT), V1, false),
        Arguments.of(
            CompatibilityLevel.FORWARD, List.of(REMOVE_ID, ID_WITH_DEFAULT), ADD_REQUIRED, true),
        Arguments.of(
            CompatibilityLevel.FORWARD_TRANSITIVE,
            List.of(REMOVE_ID, ID_WITH_DEFAULT),
            REMOVE_ID,
            true),
        Arguments.of(
            CompatibilityLevel.BACKWARD_TRANSITIVE,
            List.of(ADD_WITH_DEFAULT, V1),
            ADD_REQUIRED,
            false),
        Arguments.of(
            CompatibilityLevel.BACKWARD_TRANSITIVE, List.of(REMOVE_ID, V1), ID_WITH_DEFAULT, true));
  }

  @ParameterizedTest(name = "{0}: {index}")
  @MethodSource("cases")
  void checks(
      CompatibilityLevel level, List<Schema> existing, Schema candidate, boolean compatible) {
    List<Integer> versions =
        java.util.stream.IntStream.rangeClosed(1, existing.size()).boxed().toList();
    String problem = level.check(candidate, existing, versions);
    if (compatible) {
      assertThat(problem).isNull();
    } else {
      assertThat(problem).contains("incompatible").contains("compatibility " + level.name());
    }
  }
}
