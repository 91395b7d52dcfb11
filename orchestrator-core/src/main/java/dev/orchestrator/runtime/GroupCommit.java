package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.spi.TaskUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit of attempt endings. Workers hand their finishing change here and wait; one writer
 * thread takes every change waiting at that moment and applies them in one store call. Idle, a
 * change is written at once (no added latency); under load, the changes that arrive while one write
 * is in flight share the next, so throughput is not bounded by one commit per task. Each change
 * stays its own compare-and-set. Internal.
 */
final class GroupCommit {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  private record Pending(TaskUpdate update, CompletableFuture<Optional<Task>> result) {}

  /** Marks the end of the queue on shutdown. */
  private static final Pending END = new Pending(null, null);

  private final Transitioner transitioner;
  private final int maxBatch;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Object lock = new Object();
  private final Thread writer;
  private final ExecutorService consequences;
  private boolean open = true;

  GroupCommit(Transitioner transitioner, int maxBatch, String nodeId) {
    this.transitioner = transitioner;
    this.maxBatch = maxBatch;
    this.writer = new Thread(this::write, "orchestrator-group-commit-" + nodeId);
    this.writer.setDaemon(true);
    this.consequences =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "orchestrator-consequences-" + nodeId);
              t.setDaemon(true);
              return t;
            });
  }

  void start() {
    writer.start();
  }

  /**
   * Applies the change with the others waiting, and returns its own result once written.
   *
   * @return the stored new value, or empty when the compare-and-set lost
   */
  Optional<Task> apply(TaskUpdate update) {
    try {
      return applyAsync(update).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /**
   * Queues the change with the others waiting without waiting for its write (after shutdown, writes
   * it on the calling thread).
   *
   * @return the stored new value once written, or empty when the compare-and-set lost
   */
  CompletableFuture<Optional<Task>> applyAsync(TaskUpdate update) {
    Pending p = new Pending(update, new CompletableFuture<>());
    synchronized (lock) {
      if (open && writer.isAlive()) {
        queue.add(p);
        return p.result();
      }
    }
    try {
      p.result().complete(transitioner.apply(update));
    } catch (RuntimeException e) {
      p.result().completeExceptionally(e);
    }
    return p.result();
  }

  private void write() {
    List<Pending> batch = new ArrayList<>();
    boolean end = false;
    while (!end) {
      batch.clear();
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      queue.drainTo(batch, maxBatch - 1);
      int endAt = batch.indexOf(END);
      if (endAt >= 0) {
        end = true;
        batch.subList(endAt, batch.size()).clear(); // nothing is queued after END
      }
      if (!batch.isEmpty()) {
        flush(batch);
      }
    }
  }

  private void flush(List<Pending> batch) {
    List<TaskUpdate> updates = batch.stream().map(Pending::update).toList();
    List<Optional<Task>> results;
    try {
      results = transitioner.store().updateAll(updates);
    } catch (RuntimeException e) {
      batch.forEach(p -> p.result().completeExceptionally(e));
      return;
    }
    // consequences (events, queue offers, children) run in order on their own thread, so the
    // next write does not wait for them
    consequences.execute(
        () -> {
          try {
            transitioner.carryOut(updates, results);
          } catch (RuntimeException e) {
            log.warn(
                "consequences of {} written changes failed; the reconciler will catch up",
                updates.size(),
                e);
          }
        });
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).result().complete(results.get(i));
    }
  }

  /** Changes waiting for the next write (for tests). */
  int waiting() {
    return queue.size();
  }

  /** Writes what is waiting, then hands later changes straight to the store. */
  void close() throws InterruptedException {
    synchronized (lock) {
      if (!open) {
        return;
      }
      open = false;
      queue.add(END);
    }
    writer.join();
    consequences.shutdown();
    consequences.awaitTermination(1, TimeUnit.MINUTES);
  }
}
