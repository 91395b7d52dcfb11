package dev.orchestrator.lifecycle;

/** How an attempt ended. */
public enum AttemptOutcome {
  SUCCEEDED,
  RETRYABLE_FAILURE,
  FATAL_FAILURE,
  TIMED_OUT,
  LEASE_EXPIRED,
  CANCELLED
}
