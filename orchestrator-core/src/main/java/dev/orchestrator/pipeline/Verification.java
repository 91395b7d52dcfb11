package dev.orchestrator.pipeline;

import java.util.List;

/**
 * The artifact of a run's verification, as stored as its task's output.
 *
 * @param round the planning round it judged
 * @param passed whether the result passed
 * @param findings the verifier's findings
 * @param replanned true when it failed and a new round was planned
 * @param result the run's result (the final step's output) when it passed, else null
 * @param trace the verifier's LLM calls and decisions
 */
public record Verification(
    int round,
    boolean passed,
    List<String> findings,
    boolean replanned,
    String result,
    List<Trace> trace) {
  public Verification {
    findings = findings == null ? List.of() : List.copyOf(findings);
    trace = trace == null ? List.of() : List.copyOf(trace);
  }
}
