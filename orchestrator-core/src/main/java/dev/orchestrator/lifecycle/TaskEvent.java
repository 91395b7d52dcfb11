package dev.orchestrator.lifecycle;

import dev.orchestrator.Task;
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
 * @param version the task's version once it happened: a status change's new version (0 for the
 *     creation; each change adds one), a note the version of the status it was made in. A task's
 *     status changes are totally ordered by it, whichever node made them.
 */
public record TaskEvent(
    UUID taskId,
    TaskStatus from,
    TaskStatus to,
    Instant at,
    int attempt,
    String reason,
    long version) {
  public TaskEvent {
    Objects.requireNonNull(taskId, "taskId");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(at, "at");
    reason = reason == null ? "" : dev.orchestrator.Texts.storable(reason);
    if (version < 0) {
      throw new IllegalArgumentException("versions start at 0: " + version);
    }
  }

  /** The event of a task's creation in its status. */
  public static TaskEvent created(Task task) {
    return new TaskEvent(task.id(), null, task.status(), task.createdAt(), 0, "submitted", 0);
  }

  /** The event of a claim, from the task as claimed. */
  public static TaskEvent claimed(Task running) {
    return new TaskEvent(
        running.id(),
        TaskStatus.QUEUED,
        TaskStatus.RUNNING,
        running.startedAt(),
        running.attempt(),
        "claimed by " + running.leaseOwner(),
        running.version());
  }

  /** The event of a scheduled task falling due, from the task as promoted. */
  public static TaskEvent due(Task queued) {
    return new TaskEvent(
        queued.id(),
        TaskStatus.SCHEDULED,
        TaskStatus.QUEUED,
        queued.updatedAt(),
        queued.attempt(),
        "due",
        queued.version());
  }

  /** True for a status change, false for a note. */
  public boolean isTransition() {
    return from != to;
  }
}
