package dev.orchestrator.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * The body of {@code POST /pipelines/{name}/runs}: what the run is for, and the context its planner
 * and steps read ({@code ${context.KEY}}), text values only.
 *
 * @param goal required
 * @param context optional
 */
record RunRequest(String goal, Map<String, String> context) {

  /** The context as a run takes it: none for null; a null value is refused with a 400. */
  Map<String, String> checkedContext() {
    if (context == null) {
      return Map.of();
    }
    context.forEach(
        (k, v) -> {
          if (v == null) {
            throw ApiProblem.badRequest("wrong value at 'context." + k + "': expected a string");
          }
        });
    return context;
  }

  /**
   * The body of {@code POST /runs/{id}/rerun}.
   *
   * @param fromStep the step of the run's latest round to run again (and every step after it)
   * @param arguments new arguments of a TOOL step (a JSON object), or null for its own
   * @param prompt a new prompt of an LLM step, or null for its own
   */
  record Rerun(String fromStep, JsonNode arguments, String prompt) {
    /** The arguments, or null when none (or JSON null) were given. */
    JsonNode givenArguments() {
      return arguments == null || arguments.isNull() ? null : arguments;
    }
  }
}
