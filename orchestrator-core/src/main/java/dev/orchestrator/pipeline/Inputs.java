package dev.orchestrator.pipeline;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** What each stage's task carries as its prompt (JSON), and the plan's artifact. */
final class Inputs {
  private Inputs() {}

  /**
   * A planning round's input.
   *
   * @param fixed for a rerun: the plan to run as it is, the planner not asked
   * @param reuse for a rerun: the steps whose earlier results are taken as they are
   * @param rerunOf for a rerun: the run it reruns
   */
  record PlanInput(
      String pipeline,
      String goal,
      Map<String, String> context,
      int round,
      List<String> findings,
      Plan fixed,
      Map<String, StepResult> reuse,
      UUID rerunOf) {
    PlanInput {
      context = context == null ? Map.of() : context;
      findings = findings == null ? List.of() : findings;
      reuse = reuse == null ? Map.of() : reuse;
    }
  }

  /** A step's input: the step, and for a rerun the result it reuses (null: it runs). */
  record StepInput(
      String pipeline,
      String goal,
      Map<String, String> context,
      int round,
      Plan.Step step,
      StepResult reused) {
    StepInput {
      context = context == null ? Map.of() : context;
    }
  }

  /** A verification's input. */
  record VerifyInput(
      String pipeline, String goal, Map<String, String> context, int round, Plan plan) {
    VerifyInput {
      context = context == null ? Map.of() : context;
    }
  }

  /** A request at the front door. */
  record TriageInput(String request, Map<String, String> context) {
    TriageInput {
      context = context == null ? Map.of() : context;
    }
  }

  /** The front door's decision and what it started. */
  record TriageArtifact(String pipeline, String reason, UUID started, List<Trace> trace) {}

  /** The artifact of a planning round. */
  record PlanArtifact(int round, Plan plan, List<Trace> trace, UUID rerunOf) {}
}
