package dev.orchestrator.pipeline;

import dev.orchestrator.TaskStatus;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * A run as its tasks show it now: its status, its latest round's plan and steps with their results,
 * progress, the verification, the result, and the trace of every stage so far.
 *
 * @param id the run's id (its first planning task)
 * @param pipeline the pipeline's name
 * @param goal what it is for
 * @param status where it is
 * @param paused true while its tasks are held by a pause
 * @param round the latest planning round (0, then one more per re-plan)
 * @param plan the latest round's plan, once planned (else null)
 * @param steps the latest round's steps, in plan order
 * @param completedSteps steps of the latest round that completed
 * @param currentSteps the ids of the steps running now
 * @param verification the latest verification's artifact, once it ran (else null)
 * @param result the result, when COMPLETED
 * @param error why, when FAILED or CANCELLED (or why it will be, while its last tasks end)
 * @param estimate the plan's critical path, from its tools' typical durations
 * @param trace every stage's trace entries so far, stage by stage
 * @param rerunOf the run this one reruns, or null
 */
public record PipelineRun(
    UUID id,
    String pipeline,
    String goal,
    Status status,
    boolean paused,
    int round,
    Plan plan,
    List<StepView> steps,
    int completedSteps,
    List<String> currentSteps,
    Verification verification,
    String result,
    String error,
    Duration estimate,
    List<Trace> trace,
    UUID rerunOf) {

  /**
   * Where a run is. A run is COMPLETED, FAILED or CANCELLED only once none of its tasks is live:
   * after a step fails, the steps that do not depend on it and had started run to their end.
   */
  public enum Status {
    PLANNING,
    RUNNING,
    VERIFYING,
    COMPLETED,
    FAILED,
    CANCELLED;

    public boolean isTerminal() {
      return this == COMPLETED || this == FAILED || this == CANCELLED;
    }
  }

  /**
   * One step of the latest round.
   *
   * @param id its id in the plan
   * @param kind what it does
   * @param description what it is for
   * @param tool its tool (or signal), or null
   * @param taskId the task it runs as
   * @param status its task's status
   * @param attempts attempts its task started
   * @param result its artifact, once it completed (else null)
   */
  public record StepView(
      String id,
      Plan.Kind kind,
      String description,
      String tool,
      UUID taskId,
      TaskStatus status,
      int attempts,
      StepResult result) {}

  /** Steps of the latest round. */
  public int totalSteps() {
    return steps.size();
  }

  /** Completed steps over all steps of the latest round, 0 to 1 (0 before planning). */
  public double progress() {
    return steps.isEmpty() ? 0 : (double) completedSteps / steps.size();
  }
}
