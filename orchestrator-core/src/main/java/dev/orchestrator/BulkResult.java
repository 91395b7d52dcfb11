package dev.orchestrator;

/**
 * What a bulk action ({@link Orchestrator#cancelAll}, {@link Orchestrator#retryAll}) did to the
 * tasks its query matched. Every matched task is counted once, as changed or as skipped: {@code
 * changed + skipped == matched}.
 *
 * @param matched tasks the query matched when the action read them
 * @param changed tasks the action changed, each through the same compare-and-set, events and
 *     consequences as the action on that one task
 * @param skipped tasks the action did not change: the change does not apply to their status (a
 *     cancel of a finished task, a retry of one that has not failed), or they changed meanwhile and
 *     no longer match the query
 */
public record BulkResult(int matched, int changed, int skipped) {
  public BulkResult {
    if (matched < 0 || changed < 0 || skipped < 0 || changed + skipped != matched) {
      throw new IllegalArgumentException(
          "changed + skipped must be matched: " + changed + " + " + skipped + " != " + matched);
    }
  }
}
