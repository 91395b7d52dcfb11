package dev.orchestrator.spi;

import dev.orchestrator.Task;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.lifecycle.Transitions;
import java.util.List;
import java.util.Objects;

/**
 * A status change to apply as a compare-and-set: it succeeds only while the stored task still has
 * {@code expected.status()} and {@code expected.version()}. The store writes {@code next} with
 * version {@code expected.version() + 1}, the attempt record if any and the event, in one
 * transaction. Construction checks the change against {@link Transitions}.
 *
 * @param expected the task as the writer last read it
 * @param next the task's new value (its version is ignored)
 * @param attempt the record of the attempt this change ends, or null
 * @param reason why, for the event
 * @param spawned new tasks written with this change, in its transaction, if and only if its
 *     compare-and-set wins (a handler's children, see {@link TaskContext#spawn}); each a new task
 *     (version 0, PENDING, SCHEDULED or QUEUED), as {@link TaskStore#insert} takes them; paused
 *     when {@code expected} is (a pause holds what the paused attempt spawns)
 */
public record TaskUpdate(
    Task expected, Task next, Attempt attempt, String reason, List<Task> spawned) {
  /** A change that spawns nothing. */
  public TaskUpdate(Task expected, Task next, Attempt attempt, String reason) {
    this(expected, next, attempt, reason, List.of());
  }

  public TaskUpdate {
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(next, "next");
    if (!expected.id().equals(next.id())) {
      throw new IllegalArgumentException("an update cannot change the task id");
    }
    if (expected.status() == next.status()) {
      Transitions.checkPause(expected.status(), expected.paused(), next.paused());
    } else {
      Transitions.check(expected.status(), next.status());
    }
    if (attempt != null && !attempt.taskId().equals(expected.id())) {
      throw new IllegalArgumentException("attempt record of another task");
    }
    reason = reason == null ? "" : reason;
    spawned = spawned == null ? List.of() : List.copyOf(spawned);
    if (expected.paused() && spawned.stream().anyMatch(c -> !c.paused())) {
      // what a paused attempt spawns is held with it, until resumed (by its root, say)
      spawned =
          spawned.stream().map(c -> c.paused() ? c : c.toBuilder().paused(true).build()).toList();
    }
    for (Task child : spawned) {
      Transitions.checkInitial(child.status());
      if (child.version() != 0) {
        throw new IllegalArgumentException("a spawned task is new, with version 0: " + child.id());
      }
    }
    next = notBefore(expected, next);
    if (next.paused() && next.status().isTerminal()) {
      next = next.toBuilder().paused(false).build(); // a pause holds live tasks only
    }
  }

  /**
   * The new value, its times moved up to the expected value's last change where the writer's clock
   * is behind it (another node's clock, or a "now" taken before a concurrent change): a task's
   * history never runs backwards.
   */
  private static Task notBefore(Task expected, Task next) {
    java.time.Instant last = expected.updatedAt();
    if (last == null || next.updatedAt() == null || !next.updatedAt().isBefore(last)) {
      return next;
    }
    Task.Builder moved = next.toBuilder().updatedAt(last);
    if (next.finishedAt() != null && next.finishedAt().isBefore(last)) {
      moved.finishedAt(last);
    }
    return moved.build();
  }

  /** The event this update leaves. */
  public TaskEvent event() {
    return new TaskEvent(
        next.id(),
        expected.status(),
        next.status(),
        next.updatedAt(),
        next.attempt(),
        reason,
        expected.version() + 1);
  }
}
