package dev.orchestrator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.memory.InMemoryRateLimiter;
import dev.orchestrator.retry.RetryPolicy;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Micrometer and langchain4j are optional: the core runs without them. The proof runs a whole
 * orchestrator in a class loader that cannot see {@code io.micrometer} nor {@code dev.langchain4j}.
 */
class OptionalDependenciesTest {

  /** Loads the core's classes itself and refuses the optional libraries. */
  static final class HidingClassLoader extends URLClassLoader {
    HidingClassLoader(URL[] urls, ClassLoader parent) {
      super(urls, parent);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (name.startsWith("io.micrometer.") || name.startsWith("dev.langchain4j.")) {
        throw new ClassNotFoundException(name + " is hidden");
      }
      if (!name.startsWith("dev.orchestrator.")) {
        return super.loadClass(name, resolve);
      }
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        if (c == null) {
          c = findClass(name);
        }
        if (resolve) {
          resolveClass(c);
        }
        return c;
      }
    }
  }

  /** Runs in the hiding class loader: tasks through the mock LLM and the in-memory runtime. */
  public static final class Scenario implements Callable<String> {
    @Override
    public String call() throws Exception {
      MockLlmClient llm =
          MockLlmClient.builder().failFirst("flaky", 1, ErrorKind.SERVER_ERROR).build();
      try (Orchestrator orchestrator =
          Orchestrator.builder()
              .llm(llm)
              .rateLimiter(InMemoryRateLimiter.builder().defaultLimit(100, 1_000_000).build())
              .defaultRetryPolicy(RetryPolicy.fixed(Duration.ofMillis(10)))
              .workers(2)
              .build()
              .start()) {
        List<Task> submitted =
            List.of(
                orchestrator.submit(TaskSpec.prompt("hello").model("m").maxAttempts(3).build()),
                orchestrator.submit(TaskSpec.prompt("flaky").model("m").maxAttempts(3).build()));
        StringBuilder result = new StringBuilder();
        for (Task t : submitted) {
          Task done = orchestrator.await(t.id()).get(30, TimeUnit.SECONDS);
          result.append(done.status()).append('/').append(done.attempt()).append(' ');
        }
        return result.toString().trim();
      }
    }
  }

  private static URL locationOf(Class<?> type) {
    return type.getProtectionDomain().getCodeSource().getLocation();
  }

  private static HidingClassLoader hidingLoader() {
    return new HidingClassLoader(
        new URL[] {locationOf(Orchestrator.class), locationOf(OptionalDependenciesTest.class)},
        OptionalDependenciesTest.class.getClassLoader());
  }

  @Test
  void theCoreRunsWithoutMicrometerAndLangchain4j() throws Exception {
    try (HidingClassLoader loader = hidingLoader()) {
      Class<?> scenario = loader.loadClass(Scenario.class.getName());
      assertEquals(loader, scenario.getClassLoader(), "the scenario runs inside the hiding loader");

      @SuppressWarnings("unchecked")
      Callable<String> run = (Callable<String>) scenario.getDeclaredConstructor().newInstance();

      assertEquals("COMPLETED/1 COMPLETED/2", run.call());
      assertEquals(loader, loader.loadClass(Orchestrator.class.getName()).getClassLoader());
    }
  }

  @Test
  void theLoaderReallyHidesThem() throws Exception {
    try (HidingClassLoader loader = hidingLoader()) {
      assertThrows(
          ClassNotFoundException.class,
          () -> loader.loadClass("io.micrometer.core.instrument.MeterRegistry"));
      assertThrows(
          ClassNotFoundException.class,
          () -> loader.loadClass("dev.langchain4j.model.chat.ChatModel"));
      // the adapters themselves cannot be used there: only they touch the optional libraries
      for (String adapter :
          List.of(
              "dev.orchestrator.metrics.MicrometerMetricsRecorder",
              "dev.orchestrator.llm.Langchain4jLlmClient")) {
        Class<?> type = Class.forName(adapter, false, loader);
        assertThrows(NoClassDefFoundError.class, type::getConstructors, adapter);
      }
    }
  }

  @Test
  void onlyTheAdaptersImportTheOptionalLibraries() throws Exception {
    // every class of the core except the two adapters loads and links without them
    try (HidingClassLoader loader = hidingLoader()) {
      java.nio.file.Path classes = java.nio.file.Path.of(locationOf(Orchestrator.class).toURI());
      List<String> names;
      try (var files = java.nio.file.Files.walk(classes)) {
        names =
            files
                .map(p -> classes.relativize(p).toString())
                .filter(n -> n.endsWith(".class"))
                .map(n -> n.substring(0, n.length() - 6).replace(java.io.File.separatorChar, '.'))
                .filter(n -> !n.startsWith("dev.orchestrator.llm.Langchain4jLlmClient"))
                .filter(n -> !n.startsWith("dev.orchestrator.metrics.MicrometerMetricsRecorder"))
                .collect(Collectors.toList());
      }
      for (String name : names) {
        Class<?> type = Class.forName(name, false, loader);
        type.getDeclaredMethods();
        type.getDeclaredFields();
        type.getDeclaredConstructors();
      }
      assertEquals(true, names.size() > 50, "found the core's classes: " + names.size());
    }
  }
}
