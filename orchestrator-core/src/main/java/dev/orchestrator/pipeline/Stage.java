package dev.orchestrator.pipeline;

import dev.orchestrator.Task;
import dev.orchestrator.llm.LlmException;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.llm.LlmResponse;
import dev.orchestrator.spi.TaskContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a planner, a step or a verifier works with: its task's context, and a trace that every LLM
 * call made through {@link #callLlm} and every {@link #decide decision} is written to. The trace is
 * stored with the stage's artifact.
 */
public final class Stage {
  private final TaskContext context;
  private final String model;
  private final List<Trace> trace = new ArrayList<>();
  private long inputTokens;
  private long outputTokens;

  Stage(TaskContext context, String model) {
    this.context = context;
    this.model = model;
  }

  /** The task this stage runs as. */
  public Task task() {
    return context.task();
  }

  /** The model the pipeline's LLM calls use, or null for the client's default. */
  public String model() {
    return model;
  }

  /**
   * An LLM call through the task (under the model's rate limit, its tokens counted in the attempt's
   * usage), traced with its prompt, completion, tokens and duration.
   */
  public LlmResponse callLlm(LlmRequest request) throws LlmException, InterruptedException {
    Instant at = Instant.now();
    long start = System.nanoTime();
    try {
      LlmResponse r = context.callLlm(request);
      inputTokens += r.inputTokens();
      outputTokens += r.outputTokens();
      trace.add(
          Trace.of(
              at,
              "llm",
              r.model(),
              lastMessage(request),
              r.hasToolCalls() ? "tool calls: " + r.toolCalls() : r.text(),
              r.inputTokens(),
              r.outputTokens(),
              (System.nanoTime() - start) / 1_000_000));
      return r;
    } catch (LlmException e) {
      trace.add(
          Trace.of(
              at,
              "error",
              request.model(),
              lastMessage(request),
              e.getMessage(),
              0,
              0,
              (System.nanoTime() - start) / 1_000_000));
      throw e;
    }
  }

  private static String lastMessage(LlmRequest request) {
    return request.turns().isEmpty()
        ? request.prompt()
        : request.turns().get(request.turns().size() - 1).text();
  }

  /** Notes a decision (a plan chosen, a repair, a verdict) in the trace. */
  public void decide(String what, String why) {
    trace.add(Trace.of(Instant.now(), "decision", what, null, why, 0, 0, 0));
  }

  void traced(Trace entry) {
    trace.add(entry);
  }

  List<Trace> trace() {
    return List.copyOf(trace);
  }

  long inputTokens() {
    return inputTokens;
  }

  long outputTokens() {
    return outputTokens;
  }
}
