package dev.orchestrator.spi;

import dev.orchestrator.lifecycle.TaskEvent;

/**
 * Hears every event of every task: status changes and notes. Called on the thread that published;
 * keep it quick, and do not throw (exceptions are logged and ignored).
 */
@FunctionalInterface
public interface TaskListener {
  void onEvent(TaskEvent event);
}
