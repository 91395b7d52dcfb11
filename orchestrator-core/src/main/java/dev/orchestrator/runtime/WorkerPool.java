package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.runtime.TaskRun.StopReason;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's workers: one dispatcher thread claims as many tasks as there are free workers and
 * hands each to a worker thread (virtual threads on Java 21+, a bounded platform pool on 17). It
 * also keeps the node's running attempts for the heartbeat, and stops an attempt when its task is
 * cancelled. Internal.
 */
final class WorkerPool {
  private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);
  private static final Duration STORE_TROUBLE_PAUSE = Duration.ofMillis(500);

  private final RuntimeSettings settings;
  private final TaskStore store;
  private final TaskQueue queue;
  private final Transitioner transitioner;
  private final TaskRunner runner;
  private final Semaphore freeWorkers;
  private final Semaphore endingsInFlight;
  private final ExecutorService executor;
  private final Map<UUID, TaskRun> running = new ConcurrentHashMap<>();
  private final Thread dispatcher;
  private volatile boolean accepting = true;

  WorkerPool(
      RuntimeSettings settings,
      TaskStore store,
      TaskQueue queue,
      Transitioner transitioner,
      TaskRunner runner) {
    this.settings = settings;
    this.store = store;
    this.queue = queue;
    this.transitioner = transitioner;
    this.runner = runner;
    this.freeWorkers = new Semaphore(settings.workers());
    this.endingsInFlight = new Semaphore(settings.workers());
    this.executor = newExecutor(settings.workers(), settings.nodeId());
    this.dispatcher = new Thread(this::dispatch, "orchestrator-dispatcher-" + settings.nodeId());
    this.dispatcher.setDaemon(true);
  }

  /**
   * Virtual threads where the JVM has them (21+), else a fixed pool of platform threads: twice the
   * workers, since an attempt whose ending is being written holds a thread but not a worker slot.
   */
  private static ExecutorService newExecutor(int workers, String nodeId) {
    try {
      Method virtual = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
      return (ExecutorService) virtual.invoke(null);
    } catch (ReflectiveOperationException e) {
      AtomicInteger n = new AtomicInteger();
      return Executors.newFixedThreadPool(
          2 * workers,
          r -> {
            Thread t = new Thread(r, "orchestrator-worker-" + nodeId + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
    }
  }

  void start() {
    dispatcher.start();
  }

  private final TaskQueue.Claimer claimer =
      new TaskQueue.Claimer() {
        @Override
        public List<Task> claim(Collection<UUID> ids) {
          return announceClaimed(store.claim(ids, lease()));
        }

        @Override
        public List<Task> claimNext(int max) {
          return announceClaimed(store.claimNext(max, lease()));
        }
      };

  private Lease lease() {
    Instant now = transitioner.clock().now();
    return new Lease(settings.nodeId(), now, now.plus(settings.leaseDuration()));
  }

  private List<Task> announceClaimed(List<Task> claimed) {
    for (Task t : claimed) {
      running.put(t.id(), new TaskRun(t));
    }
    for (Task t : claimed) {
      transitioner.publish(TaskEvent.claimed(t));
    }
    return claimed;
  }

  private void dispatch() {
    while (accepting) {
      int slots = 0;
      try {
        freeWorkers.acquire();
        slots = 1 + freeWorkers.drainPermits();
        List<Task> claimed = queue.poll(claimer, slots, settings.pollInterval());
        for (Task t : claimed) {
          slots--;
          start(t);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.warn("claiming failed; trying again in {}", STORE_TROUBLE_PAUSE, e);
        pause();
      } finally {
        freeWorkers.release(slots);
      }
    }
  }

  private void pause() {
    try {
      Thread.sleep(STORE_TROUBLE_PAUSE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void start(Task task) {
    executor.execute(
        () -> {
          TaskRun run = running.get(task.id());
          // at most `workers` endings wait for their write while their slots run new tasks
          run.onSlotHandOff(
              () -> {
                endingsInFlight.acquireUninterruptibly();
                freeWorkers.release();
              });
          try {
            run.bind(Thread.currentThread());
            runner.run(run);
          } finally {
            running.remove(task.id(), run);
            if (run.slotHandedOff()) {
              endingsInFlight.release();
            } else {
              freeWorkers.release();
            }
          }
        });
  }

  /** Stops the local attempt of a task that was cancelled, wherever the cancel came from. */
  void onEvent(TaskEvent event) {
    if (event.to() == TaskStatus.CANCELLED && event.from() == TaskStatus.RUNNING) {
      TaskRun run = running.get(event.taskId());
      if (run != null) {
        run.stop(StopReason.CANCELLED);
      }
    }
  }

  /**
   * Renews the leases of every attempt on this node in one store call; stops those it lost. An
   * attempt already stopped (cancelled, timed out) is not renewed: if its handler ignores the
   * interrupt, the lease runs out and the reaper moves the task on.
   */
  void heartbeat() {
    Set<UUID> live = new java.util.HashSet<>();
    running.forEach(
        (id, run) -> {
          if (!run.isStopped()) {
            live.add(id);
          }
        });
    if (live.isEmpty()) {
      return;
    }
    Instant expiry = transitioner.clock().now().plus(settings.leaseDuration());
    Set<UUID> lost = store.renewLeases(settings.nodeId(), live, expiry);
    for (UUID id : lost) {
      TaskRun run = running.get(id);
      if (run != null && run.stop(StopReason.LEASE_LOST)) {
        log.warn("lost the lease of task {}; its attempt was stopped", id);
      }
    }
  }

  int runningCount() {
    return running.size();
  }

  /** Stops claiming; running attempts go on. */
  void stopAccepting() {
    accepting = false;
    dispatcher.interrupt();
    queue.wakeUp();
  }

  /**
   * Waits for running attempts to end within the grace period, then stops the rest, which give
   * their tasks back to the queue.
   */
  void drain(Duration grace) throws InterruptedException {
    dispatcher.join(Math.max(1, grace.toMillis()));
    long deadline = System.nanoTime() + grace.toNanos();
    while (!running.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    for (TaskRun run : running.values()) {
      run.stop(StopReason.SHUTDOWN);
    }
    executor.shutdown();
    if (!executor.awaitTermination(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS)) {
      log.warn("{} attempts ignored the shutdown; their leases will expire", running.size());
      executor.shutdownNow();
    }
  }
}
