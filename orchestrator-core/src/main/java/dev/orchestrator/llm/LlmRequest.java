package dev.orchestrator.llm;

import java.util.Objects;

/**
 * One LLM call.
 *
 * @param model model name, or null for the client's default
 * @param systemPrompt system message, or null
 * @param prompt the user message
 * @param temperature sampling temperature, or null
 * @param maxOutputTokens completion bound, or null
 */
public record LlmRequest(
    String model, String systemPrompt, String prompt, Double temperature, Integer maxOutputTokens) {
  public LlmRequest {
    Objects.requireNonNull(prompt, "prompt");
  }

  /** A request with only a prompt and a model. */
  public static LlmRequest of(String model, String prompt) {
    return new LlmRequest(model, null, prompt, null, null);
  }

  /** A rough token count of the request (4 characters a token), for rate limits before the call. */
  public long estimatedInputTokens() {
    long chars = prompt.length() + (systemPrompt == null ? 0 : systemPrompt.length());
    return Math.max(1, (chars + 3) / 4);
  }
}
