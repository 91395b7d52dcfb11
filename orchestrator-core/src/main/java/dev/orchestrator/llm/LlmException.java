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

  public LlmException(ErrorKind kind, String message) {
    this(kind, message, null, null);
  }

  public LlmException(ErrorKind kind, String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.retryAfter = retryAfter;
  }

  public ErrorKind kind() {
    return kind;
  }

  public boolean isRetryable() {
    return kind.isRetryable();
  }

  /** The provider's Retry-After, or null. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
