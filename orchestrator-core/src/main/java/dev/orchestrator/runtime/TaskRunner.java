package dev.orchestrator.runtime;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.llm.PriceTable;
import dev.orchestrator.metrics.MetricsRecorder;
import dev.orchestrator.retry.ErrorClassifier;
import dev.orchestrator.retry.ErrorClassifier.Classification;
import dev.orchestrator.runtime.TaskRun.StopReason;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.LlmClient;
import dev.orchestrator.spi.RateLimiter;
import dev.orchestrator.spi.TaskHandler;
import dev.orchestrator.spi.TaskUpdate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one claimed attempt on the calling thread: the handler under the task's timeout, then queues
 * the compare-and-set from RUNNING that records how the attempt ended with the group commit, so the
 * worker takes its next task while the ending is written. Internal.
 */
final class TaskRunner {
  private static final Logger log = LoggerFactory.getLogger(TaskRunner.class);

  private final Transitioner transitioner;
  private final Map<String, TaskHandler> handlers;
  private final ErrorClassifier classifier;
  private final LlmClient llm;
  private final RateLimiter rateLimiter;
  private final RateLimiter startLimiter;
  private final PriceTable prices;
  private final MetricsRecorder metrics;
  private final ScheduledExecutorService timer;
  private final GroupCommit commits;
  private final TaskFactory factory;

  TaskRunner(
      Transitioner transitioner,
      Map<String, TaskHandler> handlers,
      ErrorClassifier classifier,
      LlmClient llm,
      RateLimiter rateLimiter,
      RateLimiter startLimiter,
      PriceTable prices,
      MetricsRecorder metrics,
      ScheduledExecutorService timer,
      GroupCommit commits,
      TaskFactory factory) {
    this.factory = factory;
    this.transitioner = transitioner;
    this.handlers = Map.copyOf(handlers);
    this.classifier = classifier;
    this.llm = llm;
    this.rateLimiter = rateLimiter;
    this.startLimiter = startLimiter;
    this.prices = prices;
    this.metrics = metrics;
    this.timer = timer;
    this.commits = commits;
  }

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  /**
   * Runs the attempt (or, when it was stopped before it started, only what that stop asks).
   *
   * @return completes once the attempt's ending is written; exceptionally when the store failed to
   *     write it (the lease then expires and the reaper moves the task on)
   */
  CompletableFuture<?> run(TaskRun run) {
    Task task = run.task();
    MDC.put("taskId", task.id().toString());
    MDC.put("attempt", Integer.toString(task.attempt()));
    MDC.put("owner", task.owner());
    try {
      if (task.runAt() != null && task.startedAt() != null) {
        metrics.queueWait(task.type(), durationBetween(task.runAt(), task.startedAt()));
      }
      return execute(run);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    } finally {
      MDC.remove("taskId");
      MDC.remove("attempt");
      MDC.remove("owner");
    }
  }

  private CompletableFuture<?> execute(TaskRun run) {
    Task task = run.task();
    long started = System.nanoTime();
    HandlerResult result = null;
    Instant wakeAt = null;
    Throwable failure = null;
    AtomicReference<AttemptContext> context = new AtomicReference<>();
    // the task type's start rate, before the timeout's clock starts: a task waiting for its turn
    // is not timed out for it (a cancel or a shutdown interrupts the wait)
    if (!run.isStopped()) {
      try {
        startLimiter.acquire(task.type(), 0);
      } catch (InterruptedException e) {
        failure = e;
      }
    }
    // a claimed task cancelled, reaped or given back before a worker took it runs no handler
    if (failure == null && !run.isStopped()) {
      ScheduledFuture<?> timeout =
          task.timeout() == null
              ? null
              : timer.schedule(
                  () -> timeOut(run, context), task.timeout().toNanos(), TimeUnit.NANOSECONDS);
      try {
        List<Task> parents =
            task.parentIds().isEmpty() ? List.of() : transitioner.store().getAll(task.parentIds());
        context.set(
            new AttemptContext(
                run,
                order(parents, task),
                transitioner,
                llm,
                rateLimiter,
                prices,
                metrics,
                factory));
        TaskHandler handler = handlers.get(task.type());
        if (handler == null) {
          throw new dev.orchestrator.retry.FatalTaskException(
              "no handler for type '" + task.type() + "' on node");
        }
        result = handler.handle(context.get());
        if (result == null) {
          throw new dev.orchestrator.retry.FatalTaskException("handler returned null");
        }
        if (result.waits()) {
          wakeAt = factory.wakeAt(result.waiting(), transitioner.clock().now());
        }
      } catch (Throwable t) {
        failure = t;
        if (t instanceof Error && !(t instanceof StackOverflowError)) {
          log.error("handler of {} threw an Error", task.id(), t);
        }
      } finally {
        if (timeout != null) {
          timeout.cancel(false);
        }
      }
    }
    StopReason stopped = run.finish();
    Duration runTime = Duration.ofNanos(System.nanoTime() - started);
    Instant end = transitioner.clock().now();
    AttemptContext ran = context.get();
    Usage usage = ran == null ? Usage.NONE : ran.usage();
    String model = ran == null ? null : ran.model();
    if (result != null) {
      usage = usage.plus(result.usage());
      model = result.model() != null ? result.model() : model;
    }

    if (stopped == StopReason.TIMED_OUT) {
      // the timeout ended the attempt when it fired; what the handler did since is late
      HandlerResult late = result;
      String lateModel = model;
      Usage lateUsage = usage;
      return run.outsideEnding()
          .thenRunAsync(
              () -> keepLateResult(task, late, lateModel, lateUsage, end, AttemptOutcome.TIMED_OUT),
              timer);
    } else if (stopped == StopReason.CANCELLED || stopped == StopReason.LEASE_LOST) {
      keepLateResult(task, result, model, usage, end, AttemptOutcome.CANCELLED);
      return DONE;
    } else if (result != null && result.waits()) {
      return await(task, result.waiting(), wakeAt, usage, end, ran.spawned().size());
    } else if (result != null) {
      return complete(task, result, model, usage, end, runTime, ran.spawned());
    } else if (stopped == StopReason.SHUTDOWN) {
      release(task, end);
      return DONE;
    } else {
      Classification c = classifier.classify(failure);
      AttemptOutcome outcome =
          c.kind().isRetryable() ? AttemptOutcome.RETRYABLE_FAILURE : AttemptOutcome.FATAL_FAILURE;
      Attempt record = Attempt.ended(task, end, outcome, c.toError(), model, usage, null);
      metrics.attempt(task.type(), outcome, runTime);
      return end(transitioner.failure(task, c, record));
    }
  }

  /**
   * Ends an attempt that outlived its timeout at once: interrupts the handler and records TIMED_OUT
   * (retried or FAILED by the task's policy), whether or not the handler heeds the interrupt. Runs
   * on the timer thread, so it only queues the write.
   */
  private void timeOut(TaskRun run, AtomicReference<AttemptContext> context) {
    if (!run.stop(StopReason.TIMED_OUT)) {
      return; // the handler finished first
    }
    try {
      Task task = run.task();
      Classification c =
          new Classification(
              ErrorKind.TIMEOUT, "attempt exceeded its timeout of " + task.timeout(), null);
      AttemptContext ran = context.get();
      Attempt record =
          Attempt.ended(
              task,
              transitioner.clock().now(),
              AttemptOutcome.TIMED_OUT,
              c.toError(),
              ran == null ? null : ran.model(),
              ran == null ? Usage.NONE : ran.usage(),
              null);
      metrics.attempt(task.type(), AttemptOutcome.TIMED_OUT, task.timeout());
      end(transitioner.failure(task, c, record))
          .whenComplete(
              (written, e) -> {
                if (e != null) {
                  run.outsideEnding().completeExceptionally(e);
                } else {
                  run.outsideEnding().complete(written);
                }
              });
    } catch (RuntimeException e) {
      run.outsideEnding().completeExceptionally(e);
    }
  }

  private CompletableFuture<?> complete(
      Task task,
      HandlerResult result,
      String model,
      Usage usage,
      Instant end,
      Duration runTime,
      List<Task> spawned) {
    Task next =
        task.toBuilder()
            .status(TaskStatus.COMPLETED)
            .output(result.output())
            .error(null)
            .awaiting(null)
            .usage(task.usage().plus(usage))
            .updatedAt(end)
            .finishedAt(end)
            .noLease()
            .build();
    Attempt record =
        Attempt.ended(task, end, AttemptOutcome.SUCCEEDED, null, model, usage, result.output());
    metrics.attempt(task.type(), AttemptOutcome.SUCCEEDED, runTime);
    return end(new TaskUpdate(
            task, next, record, "attempt " + task.attempt() + " succeeded", spawned))
        .thenCompose(
            done ->
                done.isPresent()
                    ? DONE
                    // cancelled between the handler's return and this write
                    : CompletableFuture.runAsync(
                        () ->
                            keepLateResult(
                                task, result, model, usage, end, AttemptOutcome.CANCELLED),
                        timer));
  }

  /**
   * Ends an attempt whose handler waits: the task goes back to SCHEDULED, due when the wait ends,
   * with the signal it waits for (if any) in {@code awaiting}; as with a release on shutdown, the
   * attempt does not count and leaves no record. Once the change is written, the transitioner wakes
   * the task at once if its signal came meanwhile ({@link Transitioner#carryOut}).
   */
  private CompletableFuture<?> await(
      Task task, HandlerResult.Wait wait, Instant wakeAt, Usage usage, Instant end, int spawned) {
    if (spawned > 0) {
      log.warn(
          "attempt {} of {} spawned {} task(s) and then waited: a wait writes none of them",
          task.attempt(),
          task.id(),
          spawned);
    }
    Task next =
        uncounted(task, TaskStatus.SCHEDULED, wakeAt, end)
            .awaiting(wait.signal())
            .usage(task.usage().plus(usage))
            .build();
    String reason =
        wait.signal() == null
            ? "sleeping until " + wakeAt
            : "waiting for signal " + wait.signal() + " until " + wakeAt;
    return end(new TaskUpdate(task, next, null, reason));
  }

  /** Gives a task back to the queue on shutdown; the attempt does not count. */
  private void release(Task task, Instant end) {
    Task next = uncounted(task, TaskStatus.QUEUED, end, end).turn(task.turn()).build();
    end(new TaskUpdate(task, next, null, "released by shutdown of " + task.leaseOwner())).join();
  }

  /**
   * The next value of a task whose attempt ends without counting (a wait, a release): its attempt
   * given back, out of RUNNING, due at {@code runAt}.
   */
  private static Task.Builder uncounted(Task task, TaskStatus status, Instant runAt, Instant end) {
    return task.toBuilder()
        .status(status)
        .attempt(task.attempt() - 1)
        .runAt(runAt)
        .updatedAt(end)
        .noLease();
  }

  /**
   * Writes the end of an attempt through the group commit. An ending that lost its compare-and-set
   * only to a pause or resume of the task meanwhile (the attempt goes on when its task is paused)
   * is written again over it, keeping the flag; any other loss (a cancel, the reaper) stands.
   */
  private CompletableFuture<Optional<Task>> end(TaskUpdate ending) {
    return commits
        .applyAsync(ending)
        .thenCompose(
            written ->
                written.isPresent()
                    ? CompletableFuture.completedFuture(written)
                    : CompletableFuture.supplyAsync(() -> transitioner.overPause(ending), timer)
                        .thenCompose(
                            again ->
                                again.isPresent()
                                    ? end(again.get())
                                    : CompletableFuture.completedFuture(written)));
  }

  /**
   * The attempt was ended from outside (a cancel, a timeout, the reaper) while its handler ran. A
   * result the handler still produced is kept on that attempt's record (the store keeps it only
   * where the record's outcome says so), never on the task.
   */
  private void keepLateResult(
      Task task,
      HandlerResult result,
      String model,
      Usage usage,
      Instant end,
      AttemptOutcome outcome) {
    if (result != null) {
      transitioner
          .store()
          .attachLateResult(Attempt.ended(task, end, outcome, null, model, usage, result.output()));
    }
    log.debug("attempt {} of {} was ended from outside ({})", task.attempt(), task.id(), outcome);
  }

  /** Parents in the order the task lists them. */
  private static List<Task> order(List<Task> parents, Task task) {
    return task.parentIds().stream()
        .flatMap(id -> parents.stream().filter(p -> p.id().equals(id)))
        .toList();
  }

  private static Duration durationBetween(Instant from, Instant to) {
    Duration d = Duration.between(from, to);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
