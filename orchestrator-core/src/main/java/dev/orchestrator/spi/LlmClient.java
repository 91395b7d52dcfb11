package dev.orchestrator.spi;

import dev.orchestrator.llm.LlmException;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.llm.LlmResponse;

/** The port to a language model. Implementations must be thread-safe. */
@FunctionalInterface
public interface LlmClient {
  /**
   * Makes one call, without retrying: the orchestrator owns retries.
   *
   * @throws LlmException saying whether the failure is retryable, and any Retry-After
   * @throws InterruptedException when the worker is interrupted (cancel, timeout, shutdown)
   */
  LlmResponse call(LlmRequest request) throws LlmException, InterruptedException;
}
