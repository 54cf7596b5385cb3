package dev.metricspipeline.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The module boundaries, checked on every module's main classes (bench sees them all): stages never
 * import each other, an {@code internal} package is used only inside its own module, public APIs
 * take and return no internal types, and the modules under the stages import no stage.
 */
class ArchitectureTest {

  private static final String ROOT = "dev.metricspipeline.";

  /** The stages, by package: they meet only in schemas (the contract) and the launcher. */
  private static final List<String> STAGES =
      List.of("push", "pull", "normalizer", "streams", "sink");

  /** The modules under the stages. */
  private static final List<String> FOUNDATION =
      List.of("schemas", "formats", "runtime", "http", "promql");

  /** Every module with an internal package. */
  private static final List<String> WITH_INTERNALS =
      List.of("schemas", "formats", "push", "pull", "streams", "sink", "embedded", "launcher");

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.metricspipeline");
  }

  @TestFactory
  Stream<DynamicTest> stagesDoNotImportEachOther() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String stage : STAGES) {
      for (String other : STAGES) {
        if (!stage.equals(other)) {
          tests.add(
              DynamicTest.dynamicTest(
                  stage + " does not import " + other,
                  () ->
                      noClasses()
                          .that()
                          .resideInAPackage(ROOT + stage + "..")
                          .should()
                          .dependOnClassesThat()
                          .resideInAPackage(ROOT + other + "..")
                          .check(classes)));
        }
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> internalPackagesAreUsedOnlyInTheirModule() {
    return WITH_INTERNALS.stream()
        .map(
            module ->
                DynamicTest.dynamicTest(
                    module + ".internal",
                    () ->
                        noClasses()
                            .that()
                            .resideOutsideOfPackage(ROOT + module + "..")
                            .should()
                            .dependOnClassesThat()
                            .resideInAPackage(ROOT + module + ".internal..")
                            .check(classes)));
  }

  @TestFactory
  Stream<DynamicTest> theFoundationImportsNoStage() {
    return FOUNDATION.stream()
        .map(
            module ->
                DynamicTest.dynamicTest(
                    module,
                    () ->
                        noClasses()
                            .that()
                            .resideInAPackage(ROOT + module + "..")
                            .should()
                            .dependOnClassesThat()
                            .resideInAnyPackage(
                                Stream.concat(
                                        STAGES.stream(), Stream.of("launcher", "embedded", "bench"))
                                    .map(p -> ROOT + p + "..")
                                    .toArray(String[]::new))
                            .check(classes)));
  }

  @Test
  void publicApisTakeAndReturnNoInternalTypes() {
    ArchRule rule =
        ArchRuleDefinition.codeUnits()
            .that()
            .arePublic()
            .and()
            .areDeclaredInClassesThat()
            .arePublic()
            .and()
            .areDeclaredInClassesThat()
            .resideOutsideOfPackage("..internal..")
            .should(useNoInternalTypes());
    rule.check(classes);
  }

  private static ArchCondition<JavaCodeUnit> useNoInternalTypes() {
    return new ArchCondition<>("take and return no type of an internal package") {
      @Override
      public void check(JavaCodeUnit unit, ConditionEvents events) {
        if (unit.getOwner().getModifiers().contains(JavaModifier.SYNTHETIC)) {
          return;
        }
        List<JavaClass> types = new ArrayList<>(unit.getRawParameterTypes());
        types.add(unit.getRawReturnType());
        for (JavaClass type : types) {
          if (type.getPackageName().contains(".internal")
              && type.getPackageName().startsWith("dev.metricspipeline")) {
            events.add(
                SimpleConditionEvent.violated(
                    unit, unit.getFullName() + " uses the internal type " + type.getName()));
          }
        }
      }
    };
  }
}
