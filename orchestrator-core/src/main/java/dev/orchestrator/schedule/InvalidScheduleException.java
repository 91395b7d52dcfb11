package dev.orchestrator.schedule;

import dev.orchestrator.OrchestratorException;

/**
 * A schedule that cannot be used: a cron expression that does not parse or can never fire, or an
 * interval out of range. The message names the field and the offending token, e.g. {@code "minute
 * field: 61 is out of range 0-59"}.
 */
public class InvalidScheduleException extends OrchestratorException {
  private static final long serialVersionUID = 1L;

  public InvalidScheduleException(String message) {
    super(message);
  }
}
