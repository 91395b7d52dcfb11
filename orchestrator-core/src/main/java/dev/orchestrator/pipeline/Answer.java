package dev.orchestrator.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The front door's answer to a request ({@link Pipelines#ask}): what it started, and for a pipeline
 * its planned steps and how long they should take.
 *
 * @param id the LLM call's task, or the pipeline run
 * @param pipeline the pipeline started, or null for one LLM call
 * @param reason why the triage routed it so
 * @param steps the run's planned steps (empty for one call)
 * @param estimate the plan's critical path, or the pipelines' LLM call estimate for one call
 */
public record Answer(
    UUID id, String pipeline, String reason, List<Plan.Step> steps, Duration estimate) {
  public Answer {
    steps = steps == null ? List.of() : List.copyOf(steps);
  }

  /** True when the request went to one LLM call. */
  public boolean isSingle() {
    return pipeline == null;
  }
}
