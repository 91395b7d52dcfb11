package dev.orchestrator.lifecycle;

import static dev.orchestrator.TaskStatus.CANCELLED;
import static dev.orchestrator.TaskStatus.COMPLETED;
import static dev.orchestrator.TaskStatus.FAILED;
import static dev.orchestrator.TaskStatus.PENDING;
import static dev.orchestrator.TaskStatus.QUEUED;
import static dev.orchestrator.TaskStatus.RUNNING;
import static dev.orchestrator.TaskStatus.SCHEDULED;

import dev.orchestrator.TaskStatus;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle state machine: the one table of legal status changes. Every store write of a status
 * goes through {@link #check}; stores add the compare-and-set on version that makes racing writers
 * safe.
 *
 * <pre>
 * PENDING   -> QUEUED | SCHEDULED | CANCELLED        parents completed / a parent failed
 * SCHEDULED -> QUEUED | CANCELLED                    runAt reached
 * QUEUED    -> RUNNING | CANCELLED                   claimed under a lease
 * RUNNING   -> COMPLETED | SCHEDULED | QUEUED | FAILED | CANCELLED
 * FAILED    -> QUEUED                                explicit retry with a new budget
 * CANCELLED -> QUEUED                                explicit retry with a new budget
 * COMPLETED -> (nothing: running again means a new task)
 * </pre>
 *
 * <p><b>Pause</b> is a flag, not a status: a PENDING, SCHEDULED, QUEUED or RUNNING task is paused
 * or resumed by a compare-and-set that keeps its status ({@link #checkPause}) and leaves an event.
 * A paused task follows the table above as usual (its running attempt ends, a retry is scheduled,
 * its due time passes, its parents complete) but is never claimed: QUEUED and paused, it waits for
 * a resume, with its place (priority, due time) kept. A whole task type is paused by a gate on its
 * lanes instead, which holds the type's tasks in their status without touching them.
 */
public final class Transitions {
  private static final Map<TaskStatus, Set<TaskStatus>> ALLOWED = new EnumMap<>(TaskStatus.class);

  static {
    ALLOWED.put(PENDING, EnumSet.of(QUEUED, SCHEDULED, CANCELLED));
    ALLOWED.put(SCHEDULED, EnumSet.of(QUEUED, CANCELLED));
    ALLOWED.put(QUEUED, EnumSet.of(RUNNING, CANCELLED));
    ALLOWED.put(RUNNING, EnumSet.of(COMPLETED, SCHEDULED, QUEUED, FAILED, CANCELLED));
    ALLOWED.put(COMPLETED, EnumSet.noneOf(TaskStatus.class));
    ALLOWED.put(FAILED, EnumSet.of(QUEUED));
    ALLOWED.put(CANCELLED, EnumSet.of(QUEUED));
  }

  /** Statuses a task may be created in. */
  private static final Set<TaskStatus> INITIAL = EnumSet.of(PENDING, SCHEDULED, QUEUED);

  private Transitions() {}

  public static boolean isAllowed(TaskStatus from, TaskStatus to) {
    return ALLOWED.get(from).contains(to);
  }

  /** The statuses reachable from {@code from} in one step. */
  public static Set<TaskStatus> targets(TaskStatus from) {
    return Collections.unmodifiableSet(ALLOWED.get(from));
  }

  /**
   * Throws unless {@code from -> to} is in the table.
   *
   * @throws IllegalTransitionException for a change the state machine forbids
   */
  public static void check(TaskStatus from, TaskStatus to) {
    if (!isAllowed(from, to)) {
      throw new IllegalTransitionException(from, to);
    }
  }

  /** Throws unless a new task may start in this status. */
  public static void checkInitial(TaskStatus status) {
    if (!INITIAL.contains(status)) {
      throw new IllegalTransitionException(null, status);
    }
  }

  /** Statuses in which a task can be paused or resumed: every live one. */
  public static boolean isPausable(TaskStatus status) {
    return !status.isTerminal();
  }

  /**
   * Throws unless a change that keeps {@code status} and sets the pause flag from {@code was} to
   * {@code now} is a pause or a resume of a live task.
   *
   * @throws IllegalTransitionException otherwise
   */
  public static void checkPause(TaskStatus status, boolean was, boolean now) {
    if (was == now || !isPausable(status)) {
      throw new IllegalTransitionException(status, status);
    }
  }

  /** Statuses from which a caller's cancel succeeds. */
  public static boolean isCancellable(TaskStatus status) {
    return isAllowed(status, CANCELLED);
  }
}
