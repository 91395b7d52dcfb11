package dev.orchestrator.schedule;

/**
 * What a schedule does with fire times that passed while nothing was watching it (downtime, a
 * paused runtime, a slow tick). See {@link FireTimes#due}.
 */
public enum MisfirePolicy {
  /**
   * Run one task for all the missed fire times, for the latest of them, then continue with the
   * schedule as usual.
   */
  RUN_ONCE,
  /**
   * Drop missed fire times: run the latest passed fire time only while it is still on time (no
   * later than a grace period after it), otherwise wait for the next future one.
   */
  SKIP
}
