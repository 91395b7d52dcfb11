package dev.orchestrator.pipeline;

import java.time.Instant;

/**
 * One entry of a run's trace: an LLM call (its request and response), a tool call, a decision or an
 * error, with the tokens it spent and how long it took. Each stage's entries are stored in its
 * artifact, so a run's trace survives any crash that its artifacts survive.
 *
 * @param at when it started (ISO-8601)
 * @param kind {@code llm}, {@code tool}, {@code decision} or {@code error}
 * @param name the model, the tool, or what was decided
 * @param input what went in (the prompt, the arguments), or null
 * @param output what came out (the completion, the result, the reason), or null
 * @param inputTokens prompt tokens (LLM calls)
 * @param outputTokens completion tokens (LLM calls)
 * @param millis how long it took
 */
public record Trace(
    String at,
    String kind,
    String name,
    String input,
    String output,
    long inputTokens,
    long outputTokens,
    long millis) {

  static Trace of(
      Instant at,
      String kind,
      String name,
      String input,
      String output,
      long inputTokens,
      long outputTokens,
      long millis) {
    return new Trace(at.toString(), kind, name, input, output, inputTokens, outputTokens, millis);
  }
}
