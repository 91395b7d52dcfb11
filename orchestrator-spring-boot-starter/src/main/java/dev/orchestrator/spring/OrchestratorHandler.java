package dev.orchestrator.spring;

import dev.orchestrator.spi.TaskHandler;
import java.util.Objects;

/**
 * A handler for one task type, declared as a bean: the auto-configured orchestrator registers every
 * one.
 *
 * <pre>{@code
 * @Bean
 * OrchestratorHandler verify() {
 *   return new OrchestratorHandler("verify", ctx -> HandlerResult.of(check(ctx.prompt())));
 * }
 * }</pre>
 *
 * @param type the task type it runs
 * @param handler what runs it
 */
public record OrchestratorHandler(String type, TaskHandler handler) {
  public OrchestratorHandler {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(handler, "handler");
  }
}
