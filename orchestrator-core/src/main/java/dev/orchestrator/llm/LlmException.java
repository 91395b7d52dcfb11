package dev.orchestrator.llm;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.OrchestratorException;
import java.time.Duration;
import java.util.Objects;

/**
 * A failed LLM call, classified: its {@link ErrorKind} says whether another attempt may succeed,
 * and {@link #retryAfter()} carries the provider's Retry-After when it sent one.
 */
public class LlmException extends OrchestratorException {
  private static final long serialVersionUID = 1L;
  private final ErrorKind kind;
  private final transient Duration retryAfter;
  private final transient LlmResponse spent;

  public LlmException(ErrorKind kind, String message) {
    this(kind, message, null, null);
  }

  public LlmException(ErrorKind kind, String message, Duration retryAfter, Throwable cause) {
    this(kind, message, retryAfter, cause, null);
  }

  /**
   * A failure after the model answered and billed for it, e.g. an answer its content filter
   * stopped.
   *
   * @param spent the answer's model and token counts (its text is not used), counted in the
   *     attempt's usage and cost
   */
  public LlmException(
      ErrorKind kind, String message, Duration retryAfter, Throwable cause, LlmResponse spent) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.retryAfter = retryAfter;
    this.spent = spent;
  }

  public ErrorKind kind() {
    return kind;
  }

  public boolean isRetryable() {
    return kind.isRetryable();
  }

  /** What the failed call still spent (model and tokens), or null when it spent nothing known. */
  public LlmResponse spent() {
    return spent;
  }

  /** The provider's Retry-After, or null. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
