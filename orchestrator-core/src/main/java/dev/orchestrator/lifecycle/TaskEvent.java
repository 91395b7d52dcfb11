package dev.orchestrator.lifecycle;

import dev.orchestrator.TaskStatus;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One line of a task's audit trail: a status change ({@code from != to}; {@code from} is null when
 * the task was created) or a note while the status stays ({@code from == to}: rate-limit waits,
 * progress).
 *
 * @param taskId the task
 * @param from previous status, null on creation
 * @param to new status
 * @param at when it happened
 * @param attempt attempt number at that time
 * @param reason why, for humans
 */
public record TaskEvent(
    UUID taskId, TaskStatus from, TaskStatus to, Instant at, int attempt, String reason) {
  public TaskEvent {
    Objects.requireNonNull(taskId, "taskId");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(at, "at");
    reason = reason == null ? "" : dev.orchestrator.Texts.storable(reason);
  }

  /** True for a status change, false for a note. */
  public boolean isTransition() {
    return from != to;
  }
}
