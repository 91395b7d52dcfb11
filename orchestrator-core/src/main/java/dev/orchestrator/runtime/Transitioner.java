package dev.orchestrator.runtime;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Task;
import dev.orchestrator.TaskError;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.IllegalTransitionException;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.lifecycle.Transitions;
import dev.orchestrator.metrics.MetricsRecorder;
import dev.orchestrator.retry.ErrorClassifier.Classification;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.Clock;
import dev.orchestrator.spi.EventBus;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spi.TaskUpdate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies status changes through the store's compare-and-set and carries out what follows each one:
 * the event reaches the bus and metrics, a QUEUED task reaches the queue, a SCHEDULED one wakes the
 * scheduler, a COMPLETED parent releases its PENDING children and a FAILED or CANCELLED one cancels
 * them. Internal.
 */
public final class Transitioner {
  private static final Logger log = LoggerFactory.getLogger(Transitioner.class);

  private final TaskStore store;
  private final TaskQueue queue;
  private final EventBus bus;
  private final Clock clock;
  private final MetricsRecorder metrics;
  private final RetryPolicy defaultRetry;
  private volatile Consumer<Instant> scheduledHook = at -> {};

  public Transitioner(
      TaskStore store,
      TaskQueue queue,
      EventBus bus,
      Clock clock,
      MetricsRecorder metrics,
      RetryPolicy defaultRetry) {
    this.store = store;
    this.queue = queue;
    this.bus = bus;
    this.clock = clock;
    this.metrics = metrics;
    this.defaultRetry = defaultRetry;
  }

  /** Called with the runAt of every task this node makes SCHEDULED (the scheduler's wake-up). */
  void onScheduled(Consumer<Instant> hook) {
    scheduledHook = hook;
  }

  public TaskStore store() {
    return store;
  }

  public Clock clock() {
    return clock;
  }

  /**
   * Applies one change; on success publishes its event and carries out its consequences.
   *
   * @return the stored new value, or empty when another writer changed the task first
   */
  public Optional<Task> apply(TaskUpdate update) {
    return applyAll(List.of(update)).get(0);
  }

  /**
   * Applies several changes through one store call ({@link TaskStore#updateAll}), then carries out
   * the consequences of those that won.
   *
   * @return for each update, in order, the stored new value or empty
   */
  public List<Optional<Task>> applyAll(List<TaskUpdate> updates) {
    List<Optional<Task>> results =
        updates.size() == 1 ? List.of(store.update(updates.get(0))) : store.updateAll(updates);
    carryOut(updates, results);
    return results;
  }

  /**
   * What follows applied changes: their events (and the creation of the tasks they spawned) reach
   * the bus and metrics, QUEUED tasks the queue (in one offer), SCHEDULED ones wake the scheduler,
   * PENDING ones are checked for release, and the PENDING children of tasks that ended are released
   * or cancelled (in one store read).
   *
   * <p>An attempt that ended in a wait for a signal is woken at once when the signal is already
   * stored: its sender may have looked for waiting tasks before the wait was written.
   *
   * <p>An attempt's ending that lost its compare-and-set may find its task QUEUED with no hint in
   * the queue: a claim that a database crash lost (claims commit without waiting for the flush), or
   * a reaper that moved it on. Those tasks are offered again (one store read, only when an ending
   * lost), so they wait for a worker, not for the reconciler.
   */
  public void carryOut(List<TaskUpdate> updates, List<Optional<Task>> results) {
    List<Task> queued = new ArrayList<>();
    List<Task> waits = new ArrayList<>();
    List<UUID> ended = new ArrayList<>();
    List<UUID> lostEndings = new ArrayList<>();
    Map<String, Integer> freedKeys = new HashMap<>();
    for (int i = 0; i < updates.size(); i++) {
      Optional<Task> stored = results.get(i);
      if (stored.isPresent()
          && stored.get().concurrencyKey() != null
          && updates.get(i).expected().status() == TaskStatus.RUNNING
          && stored.get().status() != TaskStatus.RUNNING) {
        freedKeys.merge(stored.get().concurrencyKey(), stored.get().concurrencyLimit(), Math::max);
      }
      if (stored.isEmpty()) {
        if (updates.get(i).expected().status() == TaskStatus.RUNNING) {
          lostEndings.add(updates.get(i).expected().id());
        }
        continue;
      }
      Task task = stored.get();
      publish(updates.get(i).event());
      updates.get(i).spawned().forEach(child -> publish(TaskEvent.created(child)));
      switch (task.status()) {
        case QUEUED -> queued.add(task);
        case SCHEDULED -> {
          scheduledHook.accept(task.runAt());
          if (task.awaiting() != null && updates.get(i).expected().status() == TaskStatus.RUNNING) {
            waits.add(task);
          }
        }
        case PENDING -> releaseIfReady(task);
        case COMPLETED, FAILED, CANCELLED -> ended.add(task.id());
        default -> {}
      }
    }
    offer(queued);
    releaseChildren(ended);
    // a task that waited while its key was full may have lost its hint (a queue drops the ids its
    // claim passes over): the key's best ones are offered again now that it has room
    freedKeys.forEach((key, limit) -> offer(store.queuedOfKey(key, limit)));
    if (!lostEndings.isEmpty()) {
      offer(
          store.getAll(lostEndings).stream().filter(t -> t.status() == TaskStatus.QUEUED).toList());
    }
    // a signal sent while the wait was being written found no SCHEDULED task to wake: now the
    // wait is written, this read sees any such signal (and a later one wakes the task itself)
    for (Task waiting : waits) {
      if (store.signal(waiting.rootId(), waiting.awaiting()).isPresent()) {
        wake(waiting, waiting.awaiting());
      }
    }
  }

  /**
   * Carries out what follows the insert of new tasks: their creation events, one offer of the
   * QUEUED ones, a wake-up for the SCHEDULED ones and a release check for the PENDING ones (their
   * parents may have completed before the insert committed).
   */
  public void inserted(List<Task> tasks) {
    List<Task> queued = new ArrayList<>();
    for (Task t : tasks) {
      publish(TaskEvent.created(t));
      switch (t.status()) {
        case QUEUED -> queued.add(t);
        case SCHEDULED -> scheduledHook.accept(t.runAt());
        default -> {}
      }
    }
    offer(queued);
    for (Task t : tasks) {
      if (t.status() == TaskStatus.PENDING) {
        releaseIfReady(t);
      }
    }
  }

  /** Publishes an event to the bus and the metrics, never throwing. */
  public void publish(TaskEvent event) {
    if (event.isTransition()) {
      metrics.transition(event);
    }
    try {
      bus.publish(event);
    } catch (RuntimeException e) {
      log.warn("could not publish {}", event, e);
    }
  }

  /** Appends a note to the task's events and publishes it. */
  public void note(Task task, String reason) {
    TaskEvent e =
        new TaskEvent(
            task.id(),
            task.status(),
            task.status(),
            clock.now(),
            task.attempt(),
            reason,
            task.version());
    store.appendEvent(e);
    publish(e);
  }

  /**
   * Offers QUEUED tasks to the queue (after a batch insert or promotion), but the paused ones: no
   * node may claim those, and their resume offers them.
   */
  public void offer(Collection<Task> queued) {
    Collection<Task> claimable =
        queued.stream().anyMatch(Task::paused)
            ? queued.stream().filter(t -> !t.paused()).toList()
            : queued;
    if (!claimable.isEmpty()) {
      queue.offer(claimable);
    }
  }

  /**
   * Cancels a task unless it is terminal, retrying the compare-and-set while others change it.
   *
   * @return the task after the call: CANCELLED, or the terminal status it already had
   */
  public Task cancel(Task task, String reason) {
    Task current = task;
    while (Transitions.isCancellable(current.status())) {
      Optional<Task> done = cancelOnce(current, reason);
      if (done.isPresent()) {
        return done.get();
      }
      Optional<Task> reread = store.get(current.id());
      if (reread.isEmpty()) {
        return current;
      }
      current = reread.get();
    }
    return current;
  }

  /**
   * One compare-and-set of a cancel from the task as read (a running attempt ends CANCELLED), with
   * its event and consequences when it wins.
   *
   * @return the cancelled task, or empty when another writer changed the task first
   * @throws IllegalTransitionException when the task's status cannot be cancelled
   */
  public Optional<Task> cancelOnce(Task current, String reason) {
    if (!Transitions.isCancellable(current.status())) {
      throw new IllegalTransitionException(current.status(), TaskStatus.CANCELLED);
    }
    Instant now = clock.now();
    Task next =
        current.toBuilder()
            .status(TaskStatus.CANCELLED)
            .error(new TaskError(ErrorKind.CANCELLED, reason))
            .awaiting(null)
            .updatedAt(now)
            .finishedAt(now)
            .noLease()
            .build();
    Attempt attempt =
        current.status() == TaskStatus.RUNNING
            ? Attempt.ended(current, now, AttemptOutcome.CANCELLED, next.error(), null, null, null)
            : null;
    return apply(new TaskUpdate(current, next, attempt, reason));
  }

  /**
   * Wakes a SCHEDULED task that waits for this signal: a compare-and-set to QUEUED due now (its
   * {@link Task#awaiting} kept for the next attempt), with its event and consequences, tried again
   * while other writers change the task (a pause) and given up once it no longer waits for the
   * signal (the deadline promoted it, a cancel). Safe to call from any number of nodes at once.
   *
   * @return the woken task, or empty when this call did not wake it
   */
  public Optional<Task> wake(Task waiting, String signal) {
    Task current = waiting;
    while (current.status() == TaskStatus.SCHEDULED && signal.equals(current.awaiting())) {
      Instant now = clock.now();
      Task next = current.toBuilder().status(TaskStatus.QUEUED).runAt(now).updatedAt(now).build();
      Optional<Task> woken = apply(new TaskUpdate(current, next, null, "signal " + signal));
      if (woken.isPresent()) {
        return woken;
      }
      Optional<Task> reread = store.get(current.id());
      if (reread.isEmpty()) {
        break;
      }
      current = reread.get();
    }
    return Optional.empty();
  }

  /**
   * One compare-and-set that pauses or resumes a live task, keeping its status, with its event. A
   * QUEUED task resumed is offered to the queue.
   *
   * @return the task after the change, or empty when another writer changed it first
   * @throws IllegalTransitionException when the task is terminal or already so
   */
  public Optional<Task> pauseOnce(Task current, boolean paused) {
    Transitions.checkPause(current.status(), current.paused(), paused);
    Task next = current.toBuilder().paused(paused).updatedAt(clock.now()).build();
    return apply(new TaskUpdate(current, next, null, paused ? "paused" : "resumed"));
  }

  /**
   * The ending of an attempt rebased on the task as stored now, when the only change since the
   * attempt's claim is a pause or resume (same status, attempt and lease): the ending then keeps
   * the stored flag. Empty when anything else changed the task (a cancel, the reaper).
   */
  public Optional<TaskUpdate> overPause(TaskUpdate lost) {
    Task was = lost.expected();
    return store
        .get(was.id())
        .filter(
            now ->
                now.status() == was.status()
                    && now.attempt() == was.attempt()
                    && java.util.Objects.equals(now.leaseOwner(), was.leaseOwner())
                    && now.paused() != was.paused())
        .map(
            now ->
                new TaskUpdate(
                    now,
                    lost.next().toBuilder().paused(now.paused()).build(),
                    lost.attempt(),
                    lost.reason(),
                    lost.spawned()));
  }

  /**
   * The change that ends a RUNNING attempt that failed: another attempt after backoff while the
   * error is retryable and the budget allows, FAILED otherwise.
   */
  public TaskUpdate failure(Task running, Classification failure, Attempt record) {
    Instant now = clock.now();
    TaskError error = failure.toError();
    Task.Builder next =
        running.toBuilder()
            .error(error)
            .awaiting(null)
            .usage(running.usage().plus(record.usage()))
            .updatedAt(now)
            .noLease();
    String reason;
    if (failure.kind().isRetryable() && !running.attemptsExhausted()) {
      RetryPolicy policy = running.retryPolicy() != null ? running.retryPolicy() : defaultRetry;
      Duration delay =
          policy.delay(running.attempt(), failure.retryAfter(), ThreadLocalRandom.current());
      Instant runAt = now.plus(delay);
      next.runAt(runAt).status(delay.isZero() ? TaskStatus.QUEUED : TaskStatus.SCHEDULED);
      reason =
          "attempt "
              + running.attempt()
              + " failed ("
              + error.kind()
              + "), retry in "
              + delay.toMillis()
              + " ms";
    } else {
      next.status(TaskStatus.FAILED).finishedAt(now);
      reason =
          failure.kind().isRetryable()
              ? "attempts exhausted (" + running.maxAttempts() + "): " + error.kind()
              : "fatal: " + error.kind();
    }
    return new TaskUpdate(running, next.build(), record, reason);
  }

  /** The reaper's change: the lease of a RUNNING task expired, so its attempt is over. */
  public TaskUpdate leaseExpiry(Task running) {
    Instant now = clock.now();
    String message = "lease of " + running.leaseOwner() + " expired at " + running.leaseExpiresAt();
    Classification c = new Classification(ErrorKind.LEASE_EXPIRED, message, null);
    Attempt record =
        Attempt.ended(running, now, AttemptOutcome.LEASE_EXPIRED, c.toError(), null, null, null);
    return failure(running, c, record);
  }

  /** Re-evaluates the PENDING children of tasks that reached a terminal status. */
  private void releaseChildren(List<UUID> parentIds) {
    if (!parentIds.isEmpty()) {
      store.pendingChildren(parentIds).forEach(this::releaseIfReady);
    }
  }

  /**
   * Moves a PENDING task on when its parents allow: to QUEUED (or SCHEDULED) when all completed, to
   * CANCELLED when one failed or was cancelled. Safe to call any number of times from any node.
   */
  public void releaseIfReady(Task pending) {
    List<Task> parents = store.getAll(pending.parentIds());
    Instant now = clock.now();
    Task.Builder next = pending.toBuilder().updatedAt(now);
    String reason;
    Optional<Task> dead =
        parents.stream()
            .filter(p -> p.status() == TaskStatus.FAILED || p.status() == TaskStatus.CANCELLED)
            .findFirst();
    if (dead.isPresent()) {
      reason = "parent " + dead.get().id() + " " + dead.get().status();
      next.status(TaskStatus.CANCELLED)
          .finishedAt(now)
          .error(new TaskError(ErrorKind.CANCELLED, reason));
    } else if (parents.size() == pending.parentIds().size()
        && parents.stream().allMatch(p -> p.status() == TaskStatus.COMPLETED)) {
      boolean later = pending.runAt() != null && pending.runAt().isAfter(now);
      next.status(later ? TaskStatus.SCHEDULED : TaskStatus.QUEUED);
      if (!later) {
        next.runAt(now);
      }
      reason = "parents completed";
    } else {
      return;
    }
    apply(new TaskUpdate(pending, next.build(), null, reason));
  }
}
