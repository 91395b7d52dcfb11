package dev.orchestrator.llm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One LLM call. The conversation sent is the system prompt (if any), the user's {@code prompt},
 * then the {@code turns} that followed it: for tool use, the model's tool calls and the tools'
 * results.
 *
 * @param model model name, or null for the client's default
 * @param systemPrompt system message, or null
 * @param prompt the first user message
 * @param temperature sampling temperature, or null
 * @param maxOutputTokens completion bound, or null
 * @param tools the tools the model may call (none by default); names are unique
 * @param turns the messages after the prompt, oldest first (none by default)
 */
public record LlmRequest(
    String model,
    String systemPrompt,
    String prompt,
    Double temperature,
    Integer maxOutputTokens,
    List<ToolSpec> tools,
    List<LlmMessage> turns) {
  public LlmRequest {
    Objects.requireNonNull(prompt, "prompt");
    tools = tools == null ? List.of() : List.copyOf(tools);
    turns = turns == null ? List.of() : List.copyOf(turns);
    Set<String> names = new HashSet<>();
    for (ToolSpec tool : tools) {
      if (!names.add(tool.name())) {
        throw new IllegalArgumentException("two tools are named '" + tool.name() + "'");
      }
    }
  }

  /** A request without tools or turns: a single prompt. */
  public LlmRequest(
      String model,
      String systemPrompt,
      String prompt,
      Double temperature,
      Integer maxOutputTokens) {
    this(model, systemPrompt, prompt, temperature, maxOutputTokens, List.of(), List.of());
  }

  /** A request with only a prompt and a model. */
  public static LlmRequest of(String model, String prompt) {
    return new LlmRequest(model, null, prompt, null, null);
  }

  /** This request offering these tools instead of its own. */
  public LlmRequest withTools(List<ToolSpec> newTools) {
    return new LlmRequest(
        model, systemPrompt, prompt, temperature, maxOutputTokens, newTools, turns);
  }

  /** This request with these turns after the prompt instead of its own. */
  public LlmRequest withTurns(List<LlmMessage> newTurns) {
    return new LlmRequest(
        model, systemPrompt, prompt, temperature, maxOutputTokens, tools, newTurns);
  }

  /** This request with these messages appended to its turns: the next step of a conversation. */
  public LlmRequest plusTurns(LlmMessage... more) {
    List<LlmMessage> all = new ArrayList<>(turns);
    all.addAll(Arrays.asList(more));
    return withTurns(all);
  }

  /**
   * A rough token count of the request (4 characters a token), for rate limits before the call: the
   * system prompt, the prompt, the turns and the tools' names, descriptions and schemas.
   */
  public long estimatedInputTokens() {
    long chars = prompt.length() + (systemPrompt == null ? 0 : systemPrompt.length());
    for (LlmMessage turn : turns) {
      chars += turn.length();
    }
    for (ToolSpec tool : tools) {
      chars +=
          tool.name().length()
              + (tool.description() == null ? 0 : tool.description().length())
              + tool.parameters().length();
    }
    return Math.max(1, (chars + 3) / 4);
  }
}
