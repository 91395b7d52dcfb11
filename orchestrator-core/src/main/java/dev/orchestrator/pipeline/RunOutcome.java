package dev.orchestrator.pipeline;

import java.util.List;
import java.util.Map;

/**
 * What a verifier judges: the run's goal and context, the plan of this round, each step's result,
 * and the final output (the output of the plan's last step).
 */
public record RunOutcome(
    String goal,
    Map<String, String> context,
    int round,
    Plan plan,
    List<StepResult> steps,
    String finalOutput) {
  public RunOutcome {
    context = context == null ? Map.of() : Map.copyOf(context);
    steps = steps == null ? List.of() : List.copyOf(steps);
  }
}
