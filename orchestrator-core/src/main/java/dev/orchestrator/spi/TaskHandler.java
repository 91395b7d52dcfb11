package dev.orchestrator.spi;

/**
 * Runs one attempt of a task of a registered type (the LLM call is the default handler). Any
 * exception retries the task with backoff while attempts are left, unless it is a {@link
 * dev.orchestrator.retry.FatalTaskException} or an {@link dev.orchestrator.llm.LlmException} that
 * is not retryable. Handlers should stop when interrupted: that is how cancel and timeout reach
 * them.
 */
@FunctionalInterface
public interface TaskHandler {
  /**
   * @return the output to store on the task
   */
  HandlerResult handle(TaskContext context) throws Exception;
}
