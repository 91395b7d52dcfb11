package dev.orchestrator;

/** Base of every exception the orchestrator throws on purpose. */
public class OrchestratorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public OrchestratorException(String message) {
    super(message);
  }

  public OrchestratorException(String message, Throwable cause) {
    super(message, cause);
  }
}
