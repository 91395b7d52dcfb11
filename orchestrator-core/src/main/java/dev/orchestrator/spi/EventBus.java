package dev.orchestrator.spi;

import dev.orchestrator.lifecycle.TaskEvent;
import java.util.function.Consumer;

/**
 * Carries task events to listeners: in one JVM by default, across nodes with Redis. Nodes use it to
 * learn at once that a task they run was cancelled elsewhere.
 */
public interface EventBus extends AutoCloseable {
  void publish(TaskEvent event);

  /**
   * Registers a subscriber for every event published from now on.
   *
   * @return a handle that unsubscribes when closed
   */
  AutoCloseable subscribe(Consumer<TaskEvent> subscriber);

  @Override
  default void close() {}
}
