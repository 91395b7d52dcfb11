package dev.orchestrator.runtime;

/**
 * Bounds on input, checked before anything is written.
 *
 * @param maxPromptLength longest prompt, in characters, after template rendering
 * @param maxBatchSize most specs in one {@code submitAll}
 * @param maxAttempts largest attempt budget a task may ask for
 */
public record Limits(int maxPromptLength, int maxBatchSize, int maxAttempts) {
  public static final int DEFAULT_MAX_PROMPT_LENGTH = 200_000;
  public static final int DEFAULT_MAX_BATCH_SIZE = 10_000;
  public static final int DEFAULT_MAX_ATTEMPTS = 100;

  /** Longest name, model, type, owner, idempotency key and label key. */
  public static final int MAX_NAME_LENGTH = 200;

  /** Longest label value. */
  public static final int MAX_LABEL_VALUE_LENGTH = 1000;

  /** Most labels on one task. */
  public static final int MAX_LABELS = 50;

  /** Largest absolute priority. */
  public static final int MAX_PRIORITY = 1_000_000;

  /** Largest concurrency limit a key may have. */
  public static final int MAX_CONCURRENCY_LIMIT = 100_000;

  public static final Limits DEFAULT =
      new Limits(DEFAULT_MAX_PROMPT_LENGTH, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_ATTEMPTS);

  public Limits {
    if (maxPromptLength < 1 || maxBatchSize < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }
}
