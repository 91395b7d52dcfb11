package dev.orchestrator;

/**
 * Bad input, refused before anything was written. {@link #problem()} tells what was wrong in a way
 * a program can switch on; {@link #index()} which spec of a batch it was (0 for a single submit).
 */
public class InvalidTaskException extends OrchestratorException {
  private static final long serialVersionUID = 1L;

  /** What was wrong with the input. */
  public enum Problem {
    /** The prompt is missing or blank and nothing supplies one. */
    EMPTY_PROMPT,
    /** The prompt, or the prompt a template rendered, is longer than the configured maximum. */
    PROMPT_TOO_LONG,
    /**
     * A text field (name, model, type, key, label, signal name or payload) is blank where required,
     * or too long.
     */
    BAD_FIELD,
    /** maxAttempts outside the allowed range. */
    MAX_ATTEMPTS_OUT_OF_RANGE,
    /** Priority outside the allowed range. */
    PRIORITY_OUT_OF_RANGE,
    /** A timeout that is zero, negative or too long. */
    BAD_TIMEOUT,
    /**
     * A start time ({@code runAt}, or now plus {@code delay}) before year 1 or after year 9999, or
     * a negative delay.
     */
    RUN_AT_OUT_OF_RANGE,
    /** A parent id that names no task (of this owner). */
    UNKNOWN_PARENT,
    /** A run id that names no run (the root task of a chain) of this owner. */
    UNKNOWN_RUN,
    /** chain() from a parent that has not COMPLETED. */
    PARENT_NOT_COMPLETED,
    /** A template name that was never registered. */
    UNKNOWN_TEMPLATE,
    /** A template variable without a value. */
    MISSING_VARIABLE,
    /** No handler is registered for the task's type. */
    UNKNOWN_TYPE,
    /** A batch larger than the configured maximum, or empty. */
    BATCH_TOO_LARGE,
    /** A retry budget that is not positive. */
    BAD_RETRY
  }

  private final Problem problem;
  private final int index;

  public InvalidTaskException(Problem problem, String message) {
    this(problem, 0, message);
  }

  public InvalidTaskException(Problem problem, int index, String message) {
    super(message);
    this.problem = problem;
    this.index = index;
  }

  public Problem problem() {
    return problem;
  }

  /** Position of the offending spec in a batch. */
  public int index() {
    return index;
  }

  /** The same problem, placed at a position of a batch. */
  public InvalidTaskException at(int batchIndex) {
    return new InvalidTaskException(
        problem, batchIndex, "spec " + batchIndex + ": " + getMessage());
  }
}
