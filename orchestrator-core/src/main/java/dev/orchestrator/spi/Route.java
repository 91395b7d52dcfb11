package dev.orchestrator.spi;

import dev.orchestrator.Task;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The work a node claims: tasks waiting in one of {@code queues} whose type is one of {@code types}
 * (the types it has handlers for, unless told fewer). Stores and queues keep QUEUED tasks per
 * (queue, type) lane and claim only from the route's lanes, so a task no node serves waits, and
 * never blocks the others.
 *
 * @param queues the named queues served, at least one
 * @param types the task types served, at least one
 */
public record Route(Set<String> queues, Set<String> types) {
  public Route {
    queues = Set.copyOf(new TreeSet<>(Objects.requireNonNull(queues, "queues")));
    types = Set.copyOf(new TreeSet<>(Objects.requireNonNull(types, "types")));
    if (queues.isEmpty() || types.isEmpty()) {
      throw new IllegalArgumentException("a route serves at least one queue and one type");
    }
  }

  /** The default queue and these types. */
  public static Route of(String... types) {
    return new Route(Set.of(Task.DEFAULT_QUEUE), Set.of(types));
  }

  /** True when this route claims the task. */
  public boolean serves(Task task) {
    return queues.contains(task.queue()) && types.contains(task.type());
  }
}
