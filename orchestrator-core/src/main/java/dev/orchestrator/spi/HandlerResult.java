package dev.orchestrator.spi;

import dev.orchestrator.Usage;

/**
 * What a handler returns.
 *
 * @param output the task's output (U+0000 and unpaired surrogates, which no store keeps, become
 *     U+FFFD)
 * @param model the model that produced it, or null
 * @param usage tokens and cost it spent
 */
public record HandlerResult(String output, String model, Usage usage) {
  public HandlerResult {
    usage = usage == null ? Usage.NONE : usage;
    output = dev.orchestrator.Texts.storable(output);
  }

  /** A result with no model and no token usage. */
  public static HandlerResult of(String output) {
    return new HandlerResult(output, null, Usage.NONE);
  }
}
