package dev.orchestrator.runtime;

import dev.orchestrator.Task;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves SCHEDULED tasks whose runAt passed to QUEUED, in batches, and then sleeps until the next
 * due time it knows (at most {@code schedulerMaxIdle}, since other nodes schedule tasks too). A
 * task this node schedules earlier than the planned wake-up wakes it at once. Internal.
 */
final class Scheduler {
  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

  private final TaskStore store;
  private final Transitioner transitioner;
  private final RuntimeSettings settings;
  private final Thread thread;
  private final Object monitor = new Object();
  private Instant wakeAt = Instant.MIN;
  private volatile boolean running = true;

  Scheduler(TaskStore store, Transitioner transitioner, RuntimeSettings settings) {
    this.store = store;
    this.transitioner = transitioner;
    this.settings = settings;
    this.thread = new Thread(this::loop, "orchestrator-scheduler-" + settings.nodeId());
    this.thread.setDaemon(true);
    transitioner.onScheduled(this::wake);
  }

  void start() {
    thread.start();
  }

  void stop() throws InterruptedException {
    running = false;
    thread.interrupt();
    thread.join();
  }

  /** Wakes the scheduler if a task is due before its planned wake-up. */
  void wake(Instant runAt) {
    synchronized (monitor) {
      if (runAt.isBefore(wakeAt)) {
        wakeAt = runAt;
        monitor.notifyAll();
      }
    }
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
    } while (promoted.size() == settings.batchSize() && running);
    return total;
  }

  private void loop() {
    while (running) {
      try {
        promoteDue();
        Instant now = transitioner.clock().now();
        Instant latest = now.plus(settings.schedulerMaxIdle());
        Instant next = store.nextRunAt().filter(t -> t.isBefore(latest)).orElse(latest);
        synchronized (monitor) {
          wakeAt = next;
          long waitMillis = Duration.between(now, next).toMillis();
          if (waitMillis > 0) {
            monitor.wait(waitMillis);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("scheduler step failed; retrying", e);
        sleepQuietly(settings.schedulerMaxIdle());
      }
    }
  }

  private void sleepQuietly(Duration d) {
    try {
      Thread.sleep(Math.max(1, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }
}
