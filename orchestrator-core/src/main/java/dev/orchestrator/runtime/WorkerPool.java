package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.runtime.TaskRun.StopReason;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.Route;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's workers. One dispatcher thread claims tasks into a local ready queue; {@code workers}
 * worker threads (virtual threads on Java 21+, platform threads on 17) take them from it, run them,
 * and hand each attempt's ending to the group commit without waiting for its write.
 *
 * <p>Claims are sized by the backlog, not by the worker count: besides a task for every free
 * worker, the dispatcher claims ahead as many as the workers finish in {@link #AHEAD_HORIZON} at
 * their recent pace (at most {@link #MAX_AHEAD}), so a deep queue of short tasks is claimed in big
 * batches while long tasks are claimed one per free worker: a task claimed ahead waits about {@link
 * #AHEAD_HORIZON} for a worker, and a node busy with long tasks holds none that another node could
 * run. A claimed task that is cancelled, reaped or given back before a worker takes it runs no
 * handler.
 *
 * <p>The pool also keeps the node's claimed attempts for the heartbeat (until their ending is
 * written), and stops an attempt when its task is cancelled. Internal.
 */
final class WorkerPool {
  private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);
  private static final Duration STORE_TROUBLE_PAUSE = Duration.ofMillis(500);

  /** How long the tasks claimed ahead keep the workers busy at their recent pace. */
  static final Duration AHEAD_HORIZON = Duration.ofMillis(50);

  /** Most tasks claimed ahead of free workers, and most endings waiting for their write beyond. */
  static final int MAX_AHEAD = 500;

  /** Marks the end of the ready queue for the worker that takes it. */
  private static final TaskRun NO_MORE = new TaskRun(null);

  private final RuntimeSettings settings;
  private final TaskStore store;
  private final TaskQueue queue;
  private final Transitioner transitioner;
  private final TaskRunner runner;
  private final ExecutorService executor;
  private final BlockingQueue<TaskRun> ready = new LinkedBlockingQueue<>();
  private final Map<UUID, TaskRun> running = new ConcurrentHashMap<>();
  private final Semaphore endingsInFlight;
  private final Thread dispatcher;

  /** Guards {@link #held}; signalled when a worker frees room. */
  private final ReentrantLock lock = new ReentrantLock();

  private final Condition roomFreed = lock.newCondition();

  /** Tasks claimed whose handler has not returned yet: in the ready queue or on a worker. */
  private int held;

  /** Attempts whose handler returned (or that were skipped), for the pace of the claims. */
  private final LongAdder finished = new LongAdder();

  private double pacePerSecond;
  private long paceAt = System.nanoTime();
  private long paceFinished;
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
    this.endingsInFlight = new Semaphore(settings.workers() + MAX_AHEAD);
    this.executor = newExecutor(settings.workers(), settings.nodeId());
    this.dispatcher = new Thread(this::dispatch, "orchestrator-dispatcher-" + settings.nodeId());
    this.dispatcher.setDaemon(true);
  }

  /** Virtual threads where the JVM has them (21+), else a fixed pool of platform threads. */
  private static ExecutorService newExecutor(int workers, String nodeId) {
    try {
      Method virtual = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
      return (ExecutorService) virtual.invoke(null);
    } catch (ReflectiveOperationException e) {
      AtomicInteger n = new AtomicInteger();
      return Executors.newFixedThreadPool(
          workers,
          r -> {
            Thread t = new Thread(r, "orchestrator-worker-" + nodeId + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
    }
  }

  void start() {
    for (int i = 0; i < settings.workers(); i++) {
      executor.execute(this::work);
    }
    dispatcher.start();
  }

  private final TaskQueue.Claimer claimer =
      new TaskQueue.Claimer() {
        @Override
        public Route route() {
          return settings.route();
        }

        @Override
        public List<Task> claim(Collection<UUID> ids) {
          return announceClaimed(store.claim(ids, lease()));
        }

        @Override
        public List<Task> claimNext(int max) {
          return announceClaimed(store.claimNext(max, lease(), settings.route()));
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
      int reserved = 0;
      try {
        reserved = reserveRoom();
        List<Task> claimed = queue.poll(claimer, reserved, settings.pollInterval());
        for (Task t : claimed) {
          reserved--;
          ready.add(running.get(t.id()));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.warn("claiming failed; trying again in {}", STORE_TROUBLE_PAUSE, e);
        pause();
      } finally {
        freeRoom(reserved);
      }
    }
  }

  /**
   * Waits until the node may hold more claimed tasks, then reserves room for a free worker each and
   * for the tasks claimed ahead.
   */
  private int reserveRoom() throws InterruptedException {
    lock.lockInterruptibly();
    try {
      int limit;
      while (held >= (limit = settings.workers() + ahead())) {
        roomFreed.await();
      }
      int room = limit - held;
      held += room;
      return room;
    } finally {
      lock.unlock();
    }
  }

  private void freeRoom(int count) {
    if (count == 0) {
      return;
    }
    lock.lock();
    try {
      held -= count;
      roomFreed.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Tasks to claim beyond the free workers: what the workers finish in the horizon at their pace.
   */
  private int ahead() {
    long now = System.nanoTime();
    long elapsed = now - paceAt;
    if (elapsed >= AHEAD_HORIZON.toNanos()) {
      long done = finished.sum();
      double recent = (done - paceFinished) * 1e9 / elapsed;
      pacePerSecond = 0.5 * pacePerSecond + 0.5 * recent;
      paceAt = now;
      paceFinished = done;
    }
    return (int) Math.min(MAX_AHEAD, pacePerSecond * AHEAD_HORIZON.toNanos() / 1e9);
  }

  private void pause() {
    try {
      Thread.sleep(STORE_TROUBLE_PAUSE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A worker: runs claimed tasks until the pool ends. */
  private void work() {
    while (true) {
      TaskRun run;
      try {
        run = ready.take();
      } catch (InterruptedException e) {
        return;
      }
      if (run == NO_MORE) {
        return;
      }
      CompletableFuture<?> ending;
      // at most so many endings wait for their write; beyond, the worker waits with its result
      endingsInFlight.acquireUninterruptibly();
      try {
        run.bind(Thread.currentThread());
        ending = runner.run(run);
      } catch (RuntimeException | Error e) {
        ending = CompletableFuture.failedFuture(e); // the worker goes on with the next task
      } finally {
        Thread.interrupted(); // a stop that came late must not reach the next task
        finished.increment();
        freeRoom(1);
      }
      ending.whenComplete(
          (written, e) -> {
            endingsInFlight.release();
            running.remove(run.task().id(), run);
            if (e != null) {
              log.error(
                  "could not record the end of attempt {} of {}; its lease will expire",
                  run.task().attempt(),
                  run.task().id(),
                  e);
            }
          });
    }
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
        log.warn(
            "task {} is no longer RUNNING under this node (cancelled, or its lease was lost); its"
                + " attempt was stopped",
            id);
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
   * Gives back the tasks claimed ahead, waits for running attempts to end within the grace period,
   * then stops the rest, which give their tasks back to the queue, and ends the workers.
   */
  void drain(Duration grace) throws InterruptedException {
    dispatcher.join(Math.max(1, grace.toMillis()));
    long deadline = System.nanoTime() + grace.toNanos();
    List<TaskRun> notStarted = new ArrayList<>();
    ready.drainTo(notStarted);
    for (TaskRun run : notStarted) {
      run.stop(StopReason.SHUTDOWN);
      ready.add(run); // a worker gives it back without running it
    }
    while (!running.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    for (TaskRun run : running.values()) {
      run.stop(StopReason.SHUTDOWN);
    }
    for (int i = 0; i < settings.workers(); i++) {
      ready.add(NO_MORE);
    }
    executor.shutdown();
    if (!executor.awaitTermination(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS)) {
      log.warn("{} attempts ignored the shutdown; their leases will expire", running.size());
      executor.shutdownNow();
    }
  }
}
