package dev.orchestrator;

import java.util.UUID;

/** No task with this id (visible to the caller's owner). */
public class TaskNotFoundException extends OrchestratorException {
  private static final long serialVersionUID = 1L;
  private final UUID id;

  public TaskNotFoundException(UUID id) {
    super("no task " + id);
    this.id = id;
  }

  public UUID id() {
    return id;
  }
}
