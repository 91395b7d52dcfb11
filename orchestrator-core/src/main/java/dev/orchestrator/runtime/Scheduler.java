package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.spi.TaskStore;
import java.time.Instant;
import java.util.List;

/**
 * Moves SCHEDULED tasks whose runAt passed to QUEUED, in batches, and then sleeps until the next
 * due time it knows (at most {@code schedulerMaxIdle}, since other nodes schedule tasks too). A
 * task this node schedules earlier than the planned wake-up wakes it at once. Internal.
 */
final class Scheduler extends WakeableLoop {
  private final TaskStore store;
  private final Transitioner transitioner;
  private final RuntimeSettings settings;

  Scheduler(TaskStore store, Transitioner transitioner, RuntimeSettings settings) {
    super(
        "orchestrator-scheduler-" + settings.nodeId(),
        "scheduler step",
        transitioner.clock(),
        settings.schedulerMaxIdle());
    this.store = store;
    this.transitioner = transitioner;
    this.settings = settings;
    transitioner.onScheduled(this::wake);
  }

  /**
   * Promotes every due task, one batch at a time.
   *
   * @return how many tasks were promoted
   */
  int promoteDue() {
    int total = 0;
    List<Task> promoted;
    do {
      Instant now = transitioner.clock().now();
      promoted = store.promoteDue(now, settings.batchSize());
      for (Task t : promoted) {
        transitioner.publish(TaskEvent.due(t));
      }
      transitioner.offer(promoted);
      total += promoted.size();
    } while (promoted.size() == settings.batchSize() && running());
    return total;
  }

  @Override
  Instant step() {
    promoteDue();
    Instant latest = transitioner.clock().now().plus(settings.schedulerMaxIdle());
    return store.nextRunAt().filter(t -> t.isBefore(latest)).orElse(latest);
  }
}
