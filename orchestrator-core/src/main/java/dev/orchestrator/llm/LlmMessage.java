package dev.orchestrator.llm;

import java.util.List;
import java.util.Objects;

/**
 * One message of a conversation after the prompt (see {@link LlmRequest#turns()}): a user message,
 * the model's answer with any tool calls it asked for, or the result of one tool call.
 *
 * <pre>{@code
 * LlmRequest first = LlmRequest.of("gpt-4o-mini", "Weather in Oslo?").withTools(List.of(weather));
 * LlmResponse answer = llm.call(first);
 * ToolCall call = answer.toolCalls().get(0);
 * LlmRequest second = first.plusTurns(
 *     answer.toMessage(), LlmMessage.toolResult(call, "{\"celsius\": 4}"));
 * }</pre>
 *
 * @param role who speaks
 * @param text a user's text, the model's text ({@code ""} when it only called tools), or a tool's
 *     result
 * @param toolCalls the calls the model asked for; empty unless {@link Role#ASSISTANT}
 * @param toolCallId the id of the call a {@link Role#TOOL} message answers (null when the provider
 *     gave none); null for other roles
 * @param toolName the tool a {@link Role#TOOL} message comes from; null for other roles
 */
public record LlmMessage(
    Role role, String text, List<ToolCall> toolCalls, String toolCallId, String toolName) {
  /** Who speaks in a message. */
  public enum Role {
    /** The user (or the program acting for them). */
    USER,
    /** The model. */
    ASSISTANT,
    /** A tool, answering one of the model's tool calls. */
    TOOL
  }

  public LlmMessage {
    Objects.requireNonNull(role, "role");
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    switch (role) {
      case USER -> Objects.requireNonNull(text, "text");
      case ASSISTANT -> text = text == null ? "" : text;
      case TOOL -> {
        Objects.requireNonNull(toolName, "toolName");
        text = text == null ? "" : text;
      }
    }
    if (role != Role.ASSISTANT && !toolCalls.isEmpty()) {
      throw new IllegalArgumentException("only the model's messages carry tool calls");
    }
    if (role != Role.TOOL && (toolCallId != null || toolName != null)) {
      throw new IllegalArgumentException("only a tool result names a tool call");
    }
  }

  /** A user message. */
  public static LlmMessage user(String text) {
    return new LlmMessage(Role.USER, text, List.of(), null, null);
  }

  /** The model's message: its text, and the tool calls it asked for (may be empty). */
  public static LlmMessage assistant(String text, List<ToolCall> toolCalls) {
    return new LlmMessage(Role.ASSISTANT, text, toolCalls, null, null);
  }

  /** The result of a tool call, answering it by its id and tool name. */
  public static LlmMessage toolResult(ToolCall call, String content) {
    return toolResult(call.id(), call.name(), content);
  }

  /** The result of the call {@code toolCallId} of tool {@code toolName}. */
  public static LlmMessage toolResult(String toolCallId, String toolName, String content) {
    return new LlmMessage(Role.TOOL, content, List.of(), toolCallId, toolName);
  }

  /** Characters of the message as sent: text, tool names, ids and arguments. */
  long length() {
    long chars = text.length() + length(toolCallId) + length(toolName);
    for (ToolCall call : toolCalls) {
      chars += length(call.id()) + call.name().length() + call.arguments().length();
    }
    return chars;
  }

  private static long length(String s) {
    return s == null ? 0 : s.length();
  }
}
