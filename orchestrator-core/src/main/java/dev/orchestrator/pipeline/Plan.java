package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a planner decided: the steps that reach the goal, each a task of the run. A step runs once
 * the steps it {@code dependsOn} have completed, so steps without a dependency between them run at
 * once (a DAG); {@link Step#after} makes a plain sequence.
 *
 * <p>Text in a step's prompt and in its string arguments may refer to the run with {@code ${goal}},
 * {@code ${context.KEY}} and to an earlier step's output with {@code ${steps.ID.output}} (that step
 * must be among its dependencies); they are filled in when the step runs.
 *
 * @param goal what the run is for
 * @param steps in the order given
 */
public record Plan(String goal, List<Step> steps) {
  public Plan {
    goal = goal == null ? "" : goal;
    steps = steps == null ? List.of() : List.copyOf(steps);
  }

  /** What a step does. */
  public enum Kind {
    /** Calls a registered tool with the step's arguments. */
    TOOL,
    /** One LLM call with the step's prompt; with tools listed, the model may call those. */
    LLM,
    /** Records the outputs reached so far as one artifact (a point to resume or rerun from). */
    CHECKPOINT,
    /** Summarises its dependencies' outputs with an LLM call, replacing them in what follows. */
    SUMMARIZE,
    /** Waits for the signal named by {@code tool}, up to the step's timeout. */
    WAIT
  }

  /**
   * One step of a plan.
   *
   * @param id unique in the plan: letters, digits, {@code _} and {@code -}
   * @param kind what it does
   * @param description what it is for, shown with its progress
   * @param tool the tool of a TOOL step (or the signal of a WAIT step); for an LLM step, null
   * @param arguments the tool's arguments (a JSON object), or null
   * @param prompt the prompt of an LLM step, or null
   * @param dependsOn ids of the steps whose outputs it needs
   * @param tools the tools an LLM step may call, by name (empty: none)
   */
  public record Step(
      String id,
      Kind kind,
      String description,
      String tool,
      JsonNode arguments,
      String prompt,
      List<String> dependsOn,
      List<String> tools) {
    public Step {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(kind, "kind");
      description = description == null ? "" : description;
      arguments = arguments == null ? JsonNodeFactory.instance.objectNode() : arguments;
      dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
      tools = tools == null ? List.of() : List.copyOf(tools);
    }

    /** A tool call. */
    public static Step tool(String id, String tool, JsonNode arguments) {
      return new Step(id, Kind.TOOL, null, tool, arguments, null, null, null);
    }

    /** An LLM call. */
    public static Step llm(String id, String prompt) {
      return new Step(id, Kind.LLM, null, null, null, prompt, null, null);
    }

    /** A checkpoint of what the steps it depends on produced. */
    public static Step checkpoint(String id) {
      return new Step(id, Kind.CHECKPOINT, null, null, null, null, null, null);
    }

    /** A summary of its dependencies' outputs. */
    public static Step summarize(String id) {
      return new Step(id, Kind.SUMMARIZE, null, null, null, null, null, null);
    }

    /** A wait for a signal of the run, up to the pipeline's wait timeout. */
    public static Step await(String id, String signal) {
      return new Step(id, Kind.WAIT, null, signal, null, null, null, null);
    }

    public Step describedAs(String text) {
      return new Step(id, kind, text, tool, arguments, prompt, dependsOn, tools);
    }

    /** This step, running once these steps completed (their outputs are its inputs). */
    public Step after(String... stepIds) {
      List<String> all = new ArrayList<>(dependsOn);
      all.addAll(List.of(stepIds));
      return new Step(id, kind, description, tool, arguments, prompt, all, tools);
    }

    /** This LLM step, allowed to call these tools. */
    public Step withTools(String... names) {
      return new Step(id, kind, description, tool, arguments, prompt, dependsOn, List.of(names));
    }
  }

  /**
   * This plan with one step's arguments (a TOOL step) or prompt (an LLM step) replaced where given
   * (null keeps it).
   */
  public Plan withEdit(String stepId, JsonNode arguments, String prompt) {
    return new Plan(
        goal,
        steps.stream()
            .map(
                s ->
                    !s.id().equals(stepId)
                        ? s
                        : new Step(
                            s.id(),
                            s.kind(),
                            s.description(),
                            s.tool(),
                            arguments != null ? arguments : s.arguments(),
                            prompt != null ? prompt : s.prompt(),
                            s.dependsOn(),
                            s.tools()))
            .toList());
  }

  /**
   * What is wrong with the plan against the registry and the limit, or empty: no steps, too many, a
   * bad or repeated id, a dependency on an unknown or later step (which also rules out cycles), a
   * reference to a step it does not depend on, an unknown tool or arguments its schema refuses.
   */
  public List<String> problems(ToolRegistry tools, int maxSteps) {
    List<String> problems = new ArrayList<>();
    if (steps.isEmpty()) {
      problems.add("the plan has no steps");
    }
    if (steps.size() > maxSteps) {
      problems.add("the plan has " + steps.size() + " steps; at most " + maxSteps + " are allowed");
    }
    Set<String> seen = new HashSet<>();
    for (Step s : steps) {
      if (!s.id().matches("[A-Za-z0-9_-]{1,64}")) {
        problems.add("step id '" + s.id() + "' is not 1..64 of [A-Za-z0-9_-]");
      }
      for (String d : s.dependsOn()) {
        if (!seen.contains(d)) {
          problems.add("step " + s.id() + " depends on '" + d + "', which is not an earlier step");
        }
      }
      for (String ref : References.stepsIn(s)) {
        if (!s.dependsOn().contains(ref)) {
          problems.add("step " + s.id() + " reads step '" + ref + "' but does not depend on it");
        }
      }
      switch (s.kind()) {
        case TOOL -> problems.addAll(tools.problems(s.tool(), s.arguments()));
        case LLM -> {
          if (s.prompt() == null || s.prompt().isBlank()) {
            problems.add("LLM step " + s.id() + " has no prompt");
          }
          for (String t : s.tools()) {
            if (tools.tool(t).isEmpty()) {
              problems.add("LLM step " + s.id() + " offers unknown tool '" + t + "'");
            }
          }
        }
        case WAIT -> {
          if (s.tool() == null || s.tool().isBlank()) {
            problems.add("WAIT step " + s.id() + " names no signal");
          }
        }
        default -> {}
      }
      if (!seen.add(s.id())) {
        problems.add("two steps have id '" + s.id() + "'");
      }
    }
    return problems;
  }
}
