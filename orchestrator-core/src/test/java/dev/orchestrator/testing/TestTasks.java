package dev.orchestrator.testing;

import dev.orchestrator.CallOptions;
import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.runtime.Ids;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** New tasks for store and queue tests, as the orchestrator would build them. */
public final class TestTasks {
  /** A fixed time, truncated to microseconds as SQL timestamps store it. */
  public static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** The route of a node that runs LLM tasks from the default queue: what the tests' tasks are. */
  public static final dev.orchestrator.spi.Route ROUTE =
      dev.orchestrator.spi.Route.of(Task.LLM_TYPE);

  private TestTasks() {}

  public static Task.Builder builder(TaskStatus status) {
    UUID id = Ids.next();
    return new Task.Builder()
        .id(id)
        .name("task-" + id.toString().substring(30))
        .type(Task.LLM_TYPE)
        .prompt("prompt of " + id)
        .options(CallOptions.DEFAULT)
        .status(status)
        .priority(0)
        .attempt(0)
        .maxAttempts(3)
        .runAt(T0)
        .timeout(Duration.ofMinutes(1))
        .createdAt(T0)
        .updatedAt(T0)
        .owner(Task.DEFAULT_OWNER)
        .labels(Map.of())
        .parentIds(List.of())
        .version(0);
  }

  public static Task queued() {
    return builder(TaskStatus.QUEUED).build();
  }

  public static Task scheduled(Instant runAt) {
    return builder(TaskStatus.SCHEDULED).runAt(runAt.truncatedTo(ChronoUnit.MICROS)).build();
  }

  public static Task pending(Task... parents) {
    List<UUID> ids = java.util.Arrays.stream(parents).map(Task::id).toList();
    return builder(TaskStatus.PENDING).parentIds(ids).rootId(parents[0].rootId()).build();
  }
}
