package dev.orchestrator.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The core stays framework-free; each optional library is touched by its one adapter only. */
class CoreArchitectureTest {
  private static final JavaClasses CORE =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.orchestrator");

  @Test
  void coreImportsNoFrameworkDriverOrServer() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.springframework..",
            "java.sql..",
            "javax.sql..",
            "org.postgresql..",
            "com.zaxxer..",
            "redis.clients..",
            "javax.servlet..",
            "jakarta.servlet..",
            "com.sun.net.httpserver..")
        .check(CORE);
  }

  @Test
  void langchain4jIsTouchedOnlyByItsAdapter() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName("dev.orchestrator.llm.Langchain4jLlmClient")
        .and()
        .haveNameNotMatching(
            "dev\\.orchestrator\\.llm\\.Langchain4jLlmClient\\$.+") // its nested classes
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.langchain4j..")
        .check(CORE);
  }

  @Test
  void micrometerIsTouchedOnlyByItsBinding() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName("dev.orchestrator.metrics.MicrometerMetricsRecorder")
        .and()
        .resideOutsideOfPackage("dev.orchestrator.metrics")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.micrometer..")
        .check(CORE);
  }

  @Test
  void thePublicApiAndPortsDoNotReachIntoTheRuntimeInternals() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.orchestrator.spi..", "dev.orchestrator.lifecycle..", "dev.orchestrator.memory..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.orchestrator.runtime..")
        .check(CORE);
  }
}
