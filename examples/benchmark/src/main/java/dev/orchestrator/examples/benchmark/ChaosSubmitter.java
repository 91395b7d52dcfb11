package dev.orchestrator.examples.benchmark;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.retry.RetryPolicy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The submitting side of a chaos run, in the harness's JVM: an orchestrator that is never started
 * (it submits and cancels only), on the same store, queue and event bus as the workers.
 *
 * <p>Submits the run's tasks in batches, paced over the run's duration and held back while the
 * backlog (tasks not yet terminal) is large, so that a killed worker's tasks wait for their lease,
 * not behind a queue that grew without bound. Every task has an idempotency key of its index: a
 * batch that failed on a connection error (PostgreSQL restarting) is sent again as it was, and a
 * batch whose commit landed before the error comes back as the tasks already stored, never as
 * copies. A batch counts as submitted once {@code submitAll} returned.
 *
 * <p>A watcher cancels the tasks planned for it once it sees them RUNNING, and records each cancel
 * whose call returned the task CANCELLED.
 */
final class ChaosSubmitter implements AutoCloseable {
  static final int BATCH = 100;

  /** How long one batch is retried through an outage before the run gives up. */
  private static final Duration SUBMIT_PATIENCE = Duration.ofSeconds(120);

  private static final long WATCH_MILLIS = 50;

  /**
   * Backoff for every task: quick retries, so recovery is bounded by the lease, not the backoff.
   */
  static final RetryPolicy RETRY =
      new RetryPolicy(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1));

  private final Orchestrator orchestrator;
  private final PostgresTaskStore store;
  private final long seed;
  private final String runKey;

  /** Index of each submitted task, by id. */
  final Map<UUID, Integer> submitted = new ConcurrentHashMap<>();

  /** Tasks whose cancel call returned them CANCELLED. */
  final Set<UUID> cancelled = ConcurrentHashMap.newKeySet();

  /** Tasks planned for a cancel that ended first (e.g. after 30 s with nobody cancelling). */
  final Set<UUID> missedCancels = ConcurrentHashMap.newKeySet();

  final AtomicInteger submitRetries = new AtomicInteger();
  final AtomicInteger cancelErrors = new AtomicInteger();
  final AtomicLong backpressureMillis = new AtomicLong();

  private final Set<UUID> toCancel = ConcurrentHashMap.newKeySet();
  private final Thread watcher;
  private volatile boolean closed;

  ChaosSubmitter(Orchestrator orchestrator, PostgresTaskStore store, long seed) {
    this.orchestrator = orchestrator;
    this.store = store;
    this.seed = seed;
    this.runKey = "chaos-" + Long.toHexString(seed) + "-";
    this.watcher = new Thread(this::watch, "chaos-cancel-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }

  /**
   * Submits tasks 0 to n-1, batch k no earlier than {@code k * BATCH / rate} seconds after start,
   * and never while more than {@code maxBacklog} tasks are not terminal.
   *
   * @throws IllegalStateException when a batch could not be submitted within the patience
   */
  void submitAll(int n, double perSecond, int maxBacklog, long startNanos) {
    for (int from = 0; from < n && !closed; from += BATCH) {
      long due = startNanos + (long) (from / perSecond * 1e9);
      sleepUntil(due);
      long waitFrom = System.nanoTime();
      while (!closed && backlog() > maxBacklog) {
        sleep(50);
      }
      backpressureMillis.addAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waitFrom));
      List<TaskSpec> specs = new ArrayList<>();
      for (int i = from; i < Math.min(n, from + BATCH); i++) {
        specs.add(
            TaskSpec.prompt(ChaosWorker.prompt(seed, i))
                .type(ChaosWorker.TYPE)
                .name("chaos " + i)
                .idempotencyKey(runKey + i)
                .maxAttempts(ChaosWorker.MAX_ATTEMPTS)
                .retryPolicy(RETRY)
                .build());
      }
      List<Task> tasks = submitBatch(specs);
      for (int k = 0; k < tasks.size(); k++) {
        Task t = tasks.get(k);
        if (!t.idempotencyKey().equals(runKey + (from + k))) {
          throw new IllegalStateException(
              "submitAll returned " + t.idempotencyKey() + " out of order");
        }
        submitted.put(t.id(), from + k);
        if (ChaosWorker.role(t.prompt()) == ChaosWorker.Role.CANCEL) {
          toCancel.add(t.id());
        }
      }
    }
  }

  private List<Task> submitBatch(List<TaskSpec> specs) {
    long deadline = System.nanoTime() + SUBMIT_PATIENCE.toNanos();
    while (true) {
      try {
        return orchestrator.submitAll(specs);
      } catch (InvalidTaskException e) {
        throw e; // a bug of the harness, not chaos
      } catch (RuntimeException e) {
        // PostgreSQL is restarting; the batch may or may not have landed: the same keys say which
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "a batch could not be submitted for " + SUBMIT_PATIENCE, e);
        }
        submitRetries.incrementAndGet();
        sleep(200);
      }
    }
  }

  /** Tasks not yet terminal; a large number while PostgreSQL cannot be asked. */
  int backlog() {
    try (Connection c = store.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM "
                    + store.tablePrefix()
                    + "tasks WHERE status IN ('PENDING', 'SCHEDULED', 'QUEUED', 'RUNNING')")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException | RuntimeException e) {
      return Integer.MAX_VALUE;
    }
  }

  /** Cancel targets still waiting for their cancel. */
  int waitingCancels() {
    return toCancel.size();
  }

  private void watch() {
    while (!closed) {
      if (!toCancel.isEmpty()) {
        try {
          for (Task t : store.getAll(Set.copyOf(toCancel))) {
            if (t.status() == TaskStatus.RUNNING) {
              Task after = orchestrator.cancel(t.id(), "chaos: cancelled while running");
              if (after.status() == TaskStatus.CANCELLED) {
                cancelled.add(t.id());
                toCancel.remove(t.id());
              } else if (after.status().isTerminal()) {
                missedCancels.add(t.id());
                toCancel.remove(t.id());
              }
            } else if (t.status().isTerminal()) {
              missedCancels.add(t.id());
              toCancel.remove(t.id());
            }
          }
        } catch (RuntimeException e) {
          cancelErrors.incrementAndGet(); // PostgreSQL restarting: next round
        }
      }
      sleep(WATCH_MILLIS);
    }
  }

  @Override
  public void close() {
    closed = true;
    watcher.interrupt();
    try {
      watcher.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleepUntil(long nanos) {
    long wait = nanos - System.nanoTime();
    if (wait > 0) {
      sleep(TimeUnit.NANOSECONDS.toMillis(wait) + 1);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
