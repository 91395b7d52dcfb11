package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts a test's worker node in a JVM of its own, on the test's classpath, for it to kill. */
final class WorkerJvm {
  private WorkerJvm() {}

  /** Runs {@code main} with these arguments, its output in {@code target/<log>.log}. */
  static Process start(Class<?> main, String log, String... args) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    File file = new File("target", log + ".log");
    List<String> command =
        new ArrayList<>(
            List.of(java, "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(file).start();
    assertFalse(p.waitFor(200, TimeUnit.MILLISECONDS), "the worker JVM died at once; see " + file);
    return p;
  }
}
