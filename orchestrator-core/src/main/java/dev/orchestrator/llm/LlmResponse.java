package dev.orchestrator.llm;

import java.time.Duration;
import java.util.List;

/**
 * The answer of one LLM call: text, tool calls, or both.
 *
 * @param text the completion ({@code ""} when the model only called tools)
 * @param model the model that actually answered
 * @param inputTokens prompt tokens (0 when the provider did not say)
 * @param outputTokens completion tokens (0 when the provider did not say)
 * @param finishReason why generation stopped ({@link #STOP}, {@code LENGTH}, {@link
 *     #TOOL_EXECUTION} when the model asks for tool calls, ...), or null
 * @param latency time the call took
 * @param toolCalls the tool calls the model asks for, in its order (none by default)
 */
public record LlmResponse(
    String text,
    String model,
    long inputTokens,
    long outputTokens,
    String finishReason,
    Duration latency,
    List<ToolCall> toolCalls) {
  /** The finish reason of a complete answer. */
  public static final String STOP = "STOP";

  /** The finish reason of an answer that asks for tool calls. */
  public static final String TOOL_EXECUTION = "TOOL_EXECUTION";

  public LlmResponse {
    text = text == null ? "" : text;
    latency = latency == null ? Duration.ZERO : latency;
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
  }

  /** An answer without tool calls. */
  public LlmResponse(
      String text,
      String model,
      long inputTokens,
      long outputTokens,
      String finishReason,
      Duration latency) {
    this(text, model, inputTokens, outputTokens, finishReason, latency, List.of());
  }

  /** True when the model asks for tool calls. */
  public boolean hasToolCalls() {
    return !toolCalls.isEmpty();
  }

  /** This answer as the model's message of a conversation, to send back with the tool results. */
  public LlmMessage toMessage() {
    return LlmMessage.assistant(text, toolCalls);
  }
}
