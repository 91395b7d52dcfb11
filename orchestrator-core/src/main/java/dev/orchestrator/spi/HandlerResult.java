package dev.orchestrator.spi;

import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.Usage;
import java.time.Duration;
import java.time.Instant;

/**
 * What a handler returns: an output that completes the task, or a {@linkplain #waiting() wait} (see
 * {@link #awaitSignal} and {@link #sleepUntil}) that ends the attempt without completing it.
 *
 * @param output the task's output (U+0000 and unpaired surrogates, which no store keeps, become
 *     U+FFFD); null for a wait
 * @param model the model that produced it, or null
 * @param usage tokens and cost it spent
 * @param waiting what the task waits for before its next attempt, or null when the result completes
 *     the task
 */
public record HandlerResult(String output, String model, Usage usage, Wait waiting) {
  public HandlerResult {
    usage = usage == null ? Usage.NONE : usage;
    output = dev.orchestrator.Texts.storable(output);
  }

  /** A result that completes the task. */
  public HandlerResult(String output, String model, Usage usage) {
    this(output, model, usage, null);
  }

  /** A result with no model and no token usage. */
  public static HandlerResult of(String output) {
    return new HandlerResult(output, null, Usage.NONE);
  }

  /**
   * Ends the attempt to wait durably for a signal of this name to the task's run ({@code
   * Orchestrator.signal(runId, name, payload)}), at most {@code timeout}: the task moves from
   * RUNNING to SCHEDULED, due at the deadline, with {@link dev.orchestrator.Task#awaiting} set to
   * the name, and holds no worker meanwhile. The attempt does not count against the task's attempt
   * budget and leaves no attempt record (its tokens are added to the task's usage); its spawned
   * tasks are not written (a wait is not a completion). The signal wakes the task at once, however
   * close it comes to the wait (the runtime checks for it again once the wait is written); the
   * deadline wakes it otherwise. Either way the handler runs again from its start, as a new
   * attempt: it reads the signal with {@link TaskContext#signal}, and finds {@code awaiting} set
   * and no signal when the wait timed out.
   *
   * <pre>{@code
   * ctx -> {
   *   Optional<String> approval = ctx.signal("approval");
   *   if (approval.isPresent()) return HandlerResult.of(publish(approval.get()));
   *   if ("approval".equals(ctx.task().awaiting())) throw new FatalTaskException("not approved");
   *   return HandlerResult.awaitSignal("approval", Duration.ofDays(2));
   * }
   * }</pre>
   *
   * Read the signal first: a signal that arrived before the wait wakes the task again at once, so a
   * handler that waits for a signal it was already sent never gets past it.
   *
   * @param name the signal's name (not blank, at most 200 characters; a bad name fails the attempt
   *     as fatal)
   * @param timeout how long to wait at most, positive
   */
  public static HandlerResult awaitSignal(String name, Duration timeout) {
    return new HandlerResult(null, null, Usage.NONE, Wait.forSignal(name, timeout));
  }

  /**
   * Ends the attempt to sleep durably until a time: the task moves from RUNNING to SCHEDULED, due
   * then, and holds no worker meanwhile; the scheduler wakes it as any due task, and the handler
   * runs again from its start. As with {@link #awaitSignal}, the attempt does not count against the
   * budget and leaves no attempt record. A time that has passed wakes it at once.
   *
   * @param at when to run again (from year 1 to 9999; another time fails the attempt as fatal)
   */
  public static HandlerResult sleepUntil(Instant at) {
    return new HandlerResult(null, null, Usage.NONE, Wait.sleepUntil(at));
  }

  /** True when this result ends the attempt to wait rather than completing the task. */
  public boolean waits() {
    return waiting != null;
  }

  /**
   * What a waiting task waits for: a signal with a timeout, or a time.
   *
   * @param signal the name of the signal, or null for a sleep
   * @param timeout how long to wait for the signal at most (null for a sleep)
   * @param until when a sleep ends (null for a signal)
   */
  public record Wait(String signal, Duration timeout, Instant until) {
    /**
     * Checks the wait.
     *
     * @throws dev.orchestrator.InvalidTaskException BAD_FIELD with neither a signal nor a time,
     *     BAD_TIMEOUT for a wait for a signal without a positive timeout (a handler that returns
     *     one fails as fatal)
     */
    public Wait {
      if (signal == null && until == null) {
        throw new InvalidTaskException(Problem.BAD_FIELD, "a wait needs a signal's name or a time");
      }
      if (signal != null && (timeout == null || timeout.isNegative() || timeout.isZero())) {
        throw new InvalidTaskException(
            Problem.BAD_TIMEOUT, "a wait for a signal needs a positive timeout: " + timeout);
      }
      if (signal == null ? timeout != null : until != null) {
        throw new IllegalArgumentException(
            "a wait has a signal and a timeout, or a time, not both: " + signal + ", " + until);
      }
    }

    /** A wait for the signal of this name, at most {@code timeout}. */
    public static Wait forSignal(String name, Duration timeout) {
      if (name == null) {
        throw new InvalidTaskException(Problem.BAD_FIELD, "a wait for a signal needs its name");
      }
      return new Wait(name, timeout, null);
    }

    /** A sleep until a time. */
    public static Wait sleepUntil(Instant at) {
      return new Wait(null, null, at);
    }
  }
}
