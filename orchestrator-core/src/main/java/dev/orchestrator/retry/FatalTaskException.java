package dev.orchestrator.retry;

import dev.orchestrator.OrchestratorException;

/** Thrown by a handler to fail its task at once, without retrying (a bug, a bad input). */
public class FatalTaskException extends OrchestratorException {
  private static final long serialVersionUID = 1L;

  public FatalTaskException(String message) {
    super(message);
  }

  public FatalTaskException(String message, Throwable cause) {
    super(message, cause);
  }
}
