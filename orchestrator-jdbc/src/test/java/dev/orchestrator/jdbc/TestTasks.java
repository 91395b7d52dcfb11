package dev.orchestrator.jdbc;

import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.runtime.Ids;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** New tasks for the tests, as the orchestrator would submit them. */
final class TestTasks {
  /** The route of a node that runs LLM tasks from the default queue: what these tasks are. */
  static final dev.orchestrator.spi.Route ROUTE = dev.orchestrator.spi.Route.of(Task.LLM_TYPE);

  private TestTasks() {}

  /** A QUEUED LLM task with this prompt, created now, runnable now. */
  static Task.Builder queued(String prompt) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    return new Task.Builder()
        .id(Ids.next())
        .name("task")
        .type(Task.LLM_TYPE)
        .prompt(prompt)
        .status(TaskStatus.QUEUED)
        .maxAttempts(3)
        .runAt(now)
        .timeout(Duration.ofSeconds(30))
        .createdAt(now)
        .updatedAt(now)
        .owner(Task.DEFAULT_OWNER);
  }
}
