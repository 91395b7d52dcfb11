package dev.orchestrator;

/** Why an attempt or a task failed. Decides, with the attempt budget, whether it is retried. */
public enum ErrorKind {
  /** The provider refused for quota; retried after its Retry-After when it sent one. */
  RATE_LIMITED(true),
  /** The call or the handler ran out of time. */
  TIMEOUT(true),
  /** Network or other I/O trouble. */
  TRANSIENT(true),
  /** The provider answered 5xx. */
  SERVER_ERROR(true),
  /** The worker's node stopped renewing its lease (crash, pause, partition). */
  LEASE_EXPIRED(true),
  /** A handler threw an exception it did not mark fatal. */
  HANDLER_ERROR(true),
  /** The provider rejected the request as malformed or too large. */
  INVALID_REQUEST(false),
  /** Bad or missing credentials. */
  AUTHENTICATION(false),
  /** The provider refused the content (safety filter). */
  CONTENT_REFUSED(false),
  /** A handler declared the failure fatal. */
  FATAL(false),
  /** Cancelled by a caller or by a failed parent. */
  CANCELLED(false);

  private final boolean retryable;

  ErrorKind(boolean retryable) {
    this.retryable = retryable;
  }

  /** Whether a failure of this kind is worth another attempt. */
  public boolean isRetryable() {
    return retryable;
  }
}
