package dev.orchestrator.spi;

import dev.orchestrator.Task;
import java.time.Duration;
import java.util.Collection;
import java.util.List;

/**
 * The dispatch queue, or work source: how workers learn which QUEUED tasks to claim. It is a hint;
 * the store stays the authority. A queue may deliver a task more than once or lose a hint (the
 * reconciler offers QUEUED tasks again); the claim's compare-and-set makes each attempt run once.
 * Every implementation passes {@code TaskQueueContract} from the core's test jar.
 */
public interface TaskQueue extends AutoCloseable {

  /** Tells the queue these tasks are QUEUED (called after the write that queued them committed). */
  void offer(Collection<Task> tasks);

  /**
   * Waits up to {@code maxWait} for work, then claims up to {@code max} tasks through the claimer.
   *
   * @return the tasks this caller now holds RUNNING under a lease; empty when none came in time
   * @throws InterruptedException when the waiting thread is interrupted
   */
  List<Task> poll(Claimer claimer, int max, Duration maxWait) throws InterruptedException;

  /** Wakes every thread blocked in {@link #poll}, e.g. on shutdown. */
  void wakeUp();

  @Override
  default void close() {}

  /**
   * The claims a queue may make, bound to the polling node's lease and route. A queue hands a
   * claimer only ids of tasks its route serves (it keeps ids per lane: queue name and type).
   */
  interface Claimer {
    /** The lanes this claimer serves: the only ones a poll may take ids from. */
    Route route();

    /** Claims these ids if they are still QUEUED. */
    List<Task> claim(Collection<java.util.UUID> ids);

    /**
     * Claims the best QUEUED tasks of the route straight from the store (for queues that are the
     * store).
     */
    List<Task> claimNext(int max);
  }
}
