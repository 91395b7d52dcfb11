package dev.orchestrator;

/**
 * Options of the LLM call a task makes. Every field may be null: the client's default applies.
 *
 * @param systemPrompt instructions sent as the system message
 * @param temperature sampling temperature, 0 to 2
 * @param maxOutputTokens upper bound on the completion's tokens
 * @param stream true: the call streams, and the output written so far reaches the task's events
 *     (and so listeners, the event stream and the dashboard) as the model writes it, in notes
 *     {@code "output: <text>"} at most {@link
 *     dev.orchestrator.spi.TaskContext#STREAM_NOTE_INTERVAL} apart; the final output and usage are
 *     stored as for any call
 */
public record CallOptions(
    String systemPrompt, Double temperature, Integer maxOutputTokens, boolean stream) {
  public static final CallOptions DEFAULT = new CallOptions(null, null, null, false);

  /** Options of a call that does not stream. */
  public CallOptions(String systemPrompt, Double temperature, Integer maxOutputTokens) {
    this(systemPrompt, temperature, maxOutputTokens, false);
  }
}
