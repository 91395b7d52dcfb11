package dev.orchestrator.pipeline;

import java.util.List;
import java.util.Map;

/**
 * Decides a run's steps. A deterministic planner is any function of the request (the same goal and
 * context always give the same plan); {@link LlmPlanner} asks a model. A plan is checked against
 * the tool registry and the pipeline's step limit before any step runs; a planner that returns an
 * invalid plan fails the run with the problems found.
 */
@FunctionalInterface
public interface Planner {
  Plan plan(Request request, Stage stage) throws Exception;

  /**
   * What to plan for.
   *
   * @param goal the run's goal
   * @param context the run's context
   * @param round 0, then one more for each re-plan after a failed verification
   * @param findings what the last verification found wrong (empty in round 0)
   * @param tools the tools a step may call
   * @param maxSteps the most steps a plan may have
   */
  record Request(
      String goal,
      Map<String, String> context,
      int round,
      List<String> findings,
      ToolRegistry tools,
      int maxSteps) {
    public Request {
      context = context == null ? Map.of() : Map.copyOf(context);
      findings = findings == null ? List.of() : List.copyOf(findings);
    }
  }
}
