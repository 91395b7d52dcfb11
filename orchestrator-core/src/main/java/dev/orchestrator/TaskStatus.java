package dev.orchestrator;

/**
 * The seven statuses of a task. {@link dev.orchestrator.lifecycle.Transitions} says which changes
 * are legal.
 */
public enum TaskStatus {
  /** Waits for its parent tasks to complete. */
  PENDING,
  /** Waits for its {@code runAt} time (first run, or a retry after backoff). */
  SCHEDULED,
  /** Ready to be claimed by a worker. */
  QUEUED,
  /** Claimed by a worker under a lease. */
  RUNNING,
  /** Finished with an output. Terminal; never reopens. */
  COMPLETED,
  /** Fatal failure or attempts exhausted. Terminal until an explicit retry. */
  FAILED,
  /** Cancelled by a caller or by a failed parent. Terminal until an explicit retry. */
  CANCELLED;

  /** True for COMPLETED, FAILED and CANCELLED. */
  public boolean isTerminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }
}
