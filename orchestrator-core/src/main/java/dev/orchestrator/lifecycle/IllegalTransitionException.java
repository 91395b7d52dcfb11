package dev.orchestrator.lifecycle;

import dev.orchestrator.OrchestratorException;
import dev.orchestrator.TaskStatus;

/** A status change that the lifecycle table forbids, e.g. COMPLETED to QUEUED. */
public class IllegalTransitionException extends OrchestratorException {
  private static final long serialVersionUID = 1L;
  private final TaskStatus from;
  private final TaskStatus to;

  public IllegalTransitionException(TaskStatus from, TaskStatus to) {
    super(
        from == null
            ? "a task cannot be created in status " + to
            : "illegal transition " + from + " -> " + to);
    this.from = from;
    this.to = to;
  }

  /** The current status, or null when creating a task. */
  public TaskStatus from() {
    return from;
  }

  public TaskStatus to() {
    return to;
  }
}
