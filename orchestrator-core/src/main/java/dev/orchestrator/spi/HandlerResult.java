package dev.orchestrator.spi;

import dev.orchestrator.Usage;

/**
 * What a handler returns.
 *
 * @param output the task's output
 * @param model the model that produced it, or null
 * @param usage tokens and cost it spent
 */
public record HandlerResult(String output, String model, Usage usage) {
  public HandlerResult {
    usage = usage == null ? Usage.NONE : usage;
  }

  /** A result with no model and no token usage. */
  public static HandlerResult of(String output) {
    return new HandlerResult(output, null, Usage.NONE);
  }
}
