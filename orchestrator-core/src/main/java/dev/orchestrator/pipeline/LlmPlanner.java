package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.llm.LlmMessage;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.retry.FatalTaskException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A planner that asks the model for a structured plan: it describes the goal, the context, the
 * tools (name, description, parameter schema) and the plan's JSON form, then checks the answer
 * against the registry. An answer that is not a valid plan is sent back with its problems, at most
 * {@code maxRepairs} times; then the run fails with the last problems. Every request, answer and
 * repair is in the plan's trace.
 */
public final class LlmPlanner implements Planner {
  private final int maxRepairs;
  private final String instructions;

  /**
   * @param maxRepairs how many times an invalid plan is sent back before the run fails
   * @param instructions added to the planning prompt (house rules for plans), or null
   */
  public LlmPlanner(int maxRepairs, String instructions) {
    if (maxRepairs < 0) {
      throw new IllegalArgumentException("maxRepairs must not be negative: " + maxRepairs);
    }
    this.maxRepairs = maxRepairs;
    this.instructions = instructions;
  }

  /** Two repairs, no extra instructions. */
  public LlmPlanner() {
    this(2, null);
  }

  @Override
  public Plan plan(Request request, Stage stage) throws Exception {
    LlmRequest ask = LlmRequest.of(stage.model(), prompt(request));
    for (int repair = 0; ; repair++) {
      String answer = stage.callLlm(ask).text();
      List<String> problems = new ArrayList<>();
      Plan plan = parse(answer, request.goal(), problems);
      if (plan != null) {
        problems.addAll(plan.problems(request.tools(), request.maxSteps()));
      }
      if (problems.isEmpty()) {
        stage.decide("plan", plan.steps().size() + " steps after " + repair + " repairs");
        return plan;
      }
      if (repair >= maxRepairs) {
        throw new FatalTaskException(
            "no valid plan after " + maxRepairs + " repairs: " + String.join("; ", problems));
      }
      stage.decide("repair " + (repair + 1), String.join("; ", problems));
      ask =
          ask.plusTurns(
              LlmMessage.assistant(answer, List.of()),
              LlmMessage.user(
                  "That plan is invalid: "
                      + String.join("; ", problems)
                      + ". Answer again with the whole corrected plan as JSON only."));
    }
  }

  private static Plan parse(String answer, String goal, List<String> problems) {
    JsonNode node = Json.firstObject(answer);
    if (node == null || !node.path("steps").isArray()) {
      problems.add("the answer holds no JSON object with a \"steps\" array");
      return null;
    }
    try {
      List<Plan.Step> steps = new ArrayList<>();
      for (JsonNode s : node.path("steps")) {
        steps.add(Json.MAPPER.treeToValue(s, Plan.Step.class));
      }
      return new Plan(goal, steps);
    } catch (Exception e) {
      problems.add("a step is malformed: " + e.getMessage().lines().findFirst().orElse(""));
      return null;
    }
  }

  private String prompt(Request r) {
    StringBuilder p = new StringBuilder();
    p.append("Plan the steps that reach this goal.\nGoal: ").append(r.goal()).append('\n');
    for (Map.Entry<String, String> e : r.context().entrySet()) {
      p.append("Context ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
    }
    if (!r.findings().isEmpty()) {
      p.append("A previous plan's result was rejected: ")
          .append(String.join("; ", r.findings()))
          .append(". Plan so that the result avoids this.\n");
    }
    p.append("Tools:\n");
    for (Tool t : r.tools().tools()) {
      p.append("- ")
          .append(t.name())
          .append(": ")
          .append(t.description())
          .append(" Parameters (JSON schema): ")
          .append(t.parameters())
          .append('\n');
    }
    p.append(
        """
        Answer only with JSON: {"steps": [{"id": "...", "kind": "TOOL|LLM|CHECKPOINT|SUMMARIZE|WAIT",
        "description": "...", "tool": "a tool's name (TOOL)", "arguments": {...} (TOOL),
        "prompt": "... (LLM)", "dependsOn": ["ids of earlier steps"]}]}.
        A step may use ${goal} and an earlier step's output as ${steps.ID.output} in its prompt or
        string arguments, and must then depend on that step. At most\s""");
    p.append(r.maxSteps()).append(" steps; the last step's output is the result.\n");
    if (instructions != null) {
      p.append(instructions).append('\n');
    }
    return p.toString();
  }
}
