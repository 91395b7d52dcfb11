package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The artifact of one step, as stored as its task's output: what went in, what came out, what it
 * cost, and its trace.
 *
 * @param step the step's id
 * @param kind what it did
 * @param tool the tool it called (or the signal it waited for), or null
 * @param input the arguments or the prompt, references filled in
 * @param output what it produced (text, often JSON); null when it failed
 * @param error why it failed, when the pipeline does not fail fast, or null
 * @param millis how long the step's attempt took
 * @param inputTokens prompt tokens its LLM calls spent
 * @param outputTokens completion tokens its LLM calls spent
 * @param trace its LLM calls, tool calls and decisions, in order
 */
public record StepResult(
    String step,
    Plan.Kind kind,
    String tool,
    JsonNode input,
    String output,
    String error,
    long millis,
    long inputTokens,
    long outputTokens,
    List<Trace> trace) {
  public StepResult {
    trace = trace == null ? List.of() : List.copyOf(trace);
  }

  /** True when it produced an output. */
  public boolean succeeded() {
    return error == null && output != null;
  }
}
