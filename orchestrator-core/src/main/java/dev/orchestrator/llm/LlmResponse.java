package dev.orchestrator.llm;

import java.time.Duration;

/**
 * The answer of one LLM call.
 *
 * @param text the completion
 * @param model the model that actually answered
 * @param inputTokens prompt tokens (0 when the provider did not say)
 * @param outputTokens completion tokens (0 when the provider did not say)
 * @param finishReason why generation stopped (STOP, LENGTH, ...), or null
 * @param latency time the call took
 */
public record LlmResponse(
    String text,
    String model,
    long inputTokens,
    long outputTokens,
    String finishReason,
    Duration latency) {
  public LlmResponse {
    text = text == null ? "" : text;
    latency = latency == null ? Duration.ZERO : latency;
  }
}
