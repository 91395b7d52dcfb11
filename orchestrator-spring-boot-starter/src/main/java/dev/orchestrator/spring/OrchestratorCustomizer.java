package dev.orchestrator.spring;

import dev.orchestrator.Orchestrator;

/**
 * Changes the auto-configured orchestrator's builder before it is built, after the properties and
 * beans were applied: the way to set what no property covers (a clock, an error classifier,
 * limits).
 */
@FunctionalInterface
public interface OrchestratorCustomizer {
  void customize(Orchestrator.Builder builder);
}
