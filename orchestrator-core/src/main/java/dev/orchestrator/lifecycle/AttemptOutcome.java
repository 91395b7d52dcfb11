package dev.orchestrator.lifecycle;

/** How an attempt ended. */
public enum AttemptOutcome {
  SUCCEEDED,
  RETRYABLE_FAILURE,
  FATAL_FAILURE,
  TIMED_OUT,
  LEASE_EXPIRED,
  CANCELLED;

  /**
   * True for an attempt ended from outside while its handler still ran (a cancel, a timeout):
   * whatever the handler produces afterwards is kept on the attempt record only, never on the task.
   */
  public boolean keepsLateResult() {
    return this == TIMED_OUT || this == CANCELLED;
  }
}
