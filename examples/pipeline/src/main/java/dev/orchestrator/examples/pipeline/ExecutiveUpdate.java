package dev.orchestrator.examples.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.examples.pipeline.ProjectData.Ticket;
import dev.orchestrator.pipeline.LlmPlanner;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.Planner;
import dev.orchestrator.pipeline.StepResult;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.pipeline.Trace;
import dev.orchestrator.pipeline.Verdict;
import dev.orchestrator.pipeline.Verifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The executive-update pipeline: its planners, its verifier and its bounds. */
public final class ExecutiveUpdate {
  public static final String NAME = "exec-update";

  /** What the model planner is told beyond the goal, the tools and the plan's form. */
  static final String LLM_PLANNER_INSTRUCTIONS =
      """
      House rules for an executive update:
      - Fetch the tickets (ticket_search), the metrics (metrics_query, metric "all", 6 weeks) and
        the documents (document_lookup, topic "charter status") as three TOOL steps that depend on
        nothing, so that they run at once.
      - Then an LLM step drafts the update from their outputs (${steps.ID.output}).
      - The last step is an LLM step that writes the executive update in Markdown with the sections
        Summary, Metrics, Risks and Decision needed. Under Risks it names every open ticket labelled
        risk or blocker by its id, with its status and owner. An LLM step may list "tools": [names]
        to look up more itself.""";

  private ExecutiveUpdate() {}

  /** The deterministic planner over the bundled projects. */
  public static Planner deterministicPlanner(ProjectData data) {
    return new UpdatePlanner(
        data.projects().stream().map(ProjectData.Project::key).collect(Collectors.toSet()));
  }

  /** A model's planner: two repairs of an invalid plan, and the house rules. */
  public static Planner llmPlanner() {
    return new LlmPlanner(2, LLM_PLANNER_INSTRUCTIONS);
  }

  /** The pipeline with this planner and these tools; one re-plan when verification fails. */
  public static Pipeline pipeline(Planner planner, ToolRegistry tools) {
    return Pipeline.builder(NAME)
        .planner(planner)
        .tools(tools)
        .verifier(verifier())
        .maxSteps(10)
        .maxReplans(1)
        .build();
  }

  /**
   * Every step produced an output, the update mentions risks, and it names each risk the ticket
   * searches of the run found ({@link #risksNamed()}).
   */
  public static Verifier verifier() {
    return Verifier.allOf(Verifier.structural(), Verifier.mentions("risk"), risksNamed());
  }

  /**
   * Passes when the final output names, by id, every open ticket labelled risk or blocker that a
   * {@value ProjectTools#TICKETS} call of the run returned (a TOOL step, or a call an LLM step
   * made); fails when no ticket search ran, since the risks are then unknown.
   */
  static Verifier risksNamed() {
    return (outcome, stage) -> {
      Map<String, Ticket> risks = new TreeMap<>();
      boolean searched = false;
      for (StepResult step : outcome.steps()) {
        for (Trace t : step.trace()) {
          if (t.kind().equals("tool") && t.name().equals(ProjectTools.TICKETS)) {
            searched = true;
            for (JsonNode n : ProjectData.JSON.readTree(t.output()).path("tickets")) {
              Ticket ticket = ProjectData.JSON.treeToValue(n, Ticket.class);
              if (ticket.risky()) {
                risks.put(ticket.id(), ticket);
              }
            }
          }
        }
      }
      if (!searched) {
        return Verdict.fail(
            List.of("no " + ProjectTools.TICKETS + " ran, so the risks are unknown"));
      }
      String text = outcome.finalOutput() == null ? "" : outcome.finalOutput();
      List<String> findings = new ArrayList<>();
      for (Ticket t : risks.values()) {
        if (!text.contains(t.id())) {
          findings.add("the update does not name the risk " + t.id() + " (" + t.title() + ")");
        }
      }
      return findings.isEmpty() ? Verdict.pass() : Verdict.fail(findings);
    };
  }
}
