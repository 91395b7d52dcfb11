package dev.orchestrator.lifecycle;

import dev.orchestrator.TaskError;
import dev.orchestrator.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The record one attempt leaves: written in the same transaction as the status change that ends it,
 * so there is exactly one per attempt number.
 *
 * @param taskId the task
 * @param number attempt number, from 1
 * @param worker node (and thread) that ran it
 * @param startedAt when it was claimed
 * @param finishedAt when it ended
 * @param outcome how it ended
 * @param error the failure, or null
 * @param model model that answered, or null
 * @param usage tokens and cost of this attempt
 * @param output the attempt's output; for a CANCELLED attempt the output the worker produced too
 *     late
 */
public record Attempt(
    UUID taskId,
    int number,
    String worker,
    Instant startedAt,
    Instant finishedAt,
    AttemptOutcome outcome,
    TaskError error,
    String model,
    Usage usage,
    String output) {

  public Attempt {
    Objects.requireNonNull(taskId, "taskId");
    Objects.requireNonNull(outcome, "outcome");
    usage = usage == null ? Usage.NONE : usage;
    if (number < 1) {
      throw new IllegalArgumentException("attempt numbers start at 1: " + number);
    }
  }

  /**
   * The record of a RUNNING task's current attempt, ended at {@code end}.
   *
   * @param running the task as claimed for this attempt (its lease owner is the worker)
   */
  public static Attempt ended(
      dev.orchestrator.Task running,
      Instant end,
      AttemptOutcome outcome,
      TaskError error,
      String model,
      Usage usage,
      String output) {
    Instant started = running.startedAt();
    return new Attempt(
        running.id(),
        running.attempt(),
        running.leaseOwner(),
        started,
        started != null && end.isBefore(started) ? started : end, // the ender's clock may lag
        outcome,
        error,
        model,
        usage,
        output);
  }

  /** This record with the model, usage and output of a result that came too late. */
  public Attempt withLateResult(Attempt late) {
    return new Attempt(
        taskId,
        number,
        worker,
        startedAt,
        finishedAt,
        outcome,
        error,
        late.model,
        late.usage,
        late.output);
  }

  /** Wall time of the attempt. */
  public Duration latency() {
    return startedAt == null || finishedAt == null
        ? Duration.ZERO
        : Duration.between(startedAt, finishedAt);
  }
}
