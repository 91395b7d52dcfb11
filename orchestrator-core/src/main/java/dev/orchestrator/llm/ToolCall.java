package dev.orchestrator.llm;

import java.util.Objects;

/**
 * A call of a tool that the model asked for. Run the tool, then send its result back with {@link
 * LlmMessage#toolResult(ToolCall, String)} after {@link LlmResponse#toMessage() the model's
 * message}.
 *
 * @param id the provider's id of the call, which the tool result must carry; null when the provider
 *     gives none
 * @param name the tool's name, as in its {@link ToolSpec}
 * @param arguments the arguments as a JSON object text, as the model wrote it (it may not match the
 *     schema); {@code "{}"} when the model wrote none
 */
public record ToolCall(String id, String name, String arguments) {
  public ToolCall {
    Objects.requireNonNull(name, "name");
    arguments = arguments == null || arguments.isBlank() ? "{}" : arguments;
  }
}
