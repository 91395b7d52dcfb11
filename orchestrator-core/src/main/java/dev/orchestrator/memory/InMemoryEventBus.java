package dev.orchestrator.memory;

import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.spi.EventBus;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded event bus: delivers each event to every subscriber on the publishing thread. Share
 * one instance between orchestrators in a JVM to make them see each other's events.
 */
public final class InMemoryEventBus implements EventBus {
  private static final Logger log = LoggerFactory.getLogger(InMemoryEventBus.class);
  private final List<Consumer<TaskEvent>> subscribers = new CopyOnWriteArrayList<>();

  @Override
  public void publish(TaskEvent event) {
    for (Consumer<TaskEvent> s : subscribers) {
      try {
        s.accept(event);
      } catch (RuntimeException e) {
        log.warn("event subscriber failed on {}", event, e);
      }
    }
  }

  @Override
  public AutoCloseable subscribe(Consumer<TaskEvent> subscriber) {
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }
}
