package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The safety net behind the queue: offers again the QUEUED tasks nobody claimed for a while (a lost
 * or flushed hint), and re-checks PENDING tasks whose release may have been missed. The queue may
 * lose a hint; the store never loses a task. Internal.
 */
final class Reconciler {
  private final TaskStore store;
  private final Transitioner transitioner;
  private final Duration after;
  private final int batchSize;

  Reconciler(TaskStore store, Transitioner transitioner, Duration after, int batchSize) {
    this.store = store;
    this.transitioner = transitioner;
    this.after = after;
    this.batchSize = batchSize;
  }

  /**
   * @return how many tasks it offered again or re-checked
   */
  int reconcile() {
    Instant before = transitioner.clock().now().minus(after);
    List<Task> queued = store.stale(TaskStatus.QUEUED, before, batchSize);
    transitioner.offer(queued);
    List<Task> pending = store.stale(TaskStatus.PENDING, before, batchSize);
    pending.forEach(transitioner::releaseIfReady);
    return queued.size() + pending.size();
  }
}
