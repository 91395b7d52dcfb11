package dev.orchestrator.spi;

import dev.orchestrator.llm.LlmException;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.llm.LlmResponse;
import java.util.function.Consumer;

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

  /**
   * Makes one call as {@link #call} does, giving the answer's text to {@code onPartial} piece by
   * piece as the model writes it, in order, on the calling thread; it returns when the answer is
   * complete, and the concatenated pieces equal its {@link LlmResponse#text() text}. An interrupt
   * stops the stream and throws {@link InterruptedException} promptly. An exception thrown by
   * {@code onPartial} stops the stream and is thrown unchanged.
   *
   * <p>This default makes the call and gives the whole text at once (nothing when it is empty).
   *
   * @throws LlmException as {@link #call}
   * @throws InterruptedException as {@link #call}
   */
  default LlmResponse stream(LlmRequest request, Consumer<String> onPartial)
      throws LlmException, InterruptedException {
    LlmResponse response = call(request);
    if (!response.text().isEmpty()) {
      onPartial.accept(response.text());
    }
    return response;
  }
}
