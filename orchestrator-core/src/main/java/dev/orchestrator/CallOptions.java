package dev.orchestrator;

/**
 * Options of the LLM call a task makes. Every field may be null: the client's default applies.
 *
 * @param systemPrompt instructions sent as the system message
 * @param temperature sampling temperature, 0 to 2
 * @param maxOutputTokens upper bound on the completion's tokens
 */
public record CallOptions(String systemPrompt, Double temperature, Integer maxOutputTokens) {
  public static final CallOptions DEFAULT = new CallOptions(null, null, null);
}
