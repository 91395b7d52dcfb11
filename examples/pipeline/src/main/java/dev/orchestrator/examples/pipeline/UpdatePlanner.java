package dev.orchestrator.examples.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.Planner;
import dev.orchestrator.pipeline.Stage;
import dev.orchestrator.retry.FatalTaskException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The deterministic planner of an executive update: a pure function of the goal and the context.
 * The project is the context's {@code project}, else the word after "project" in the goal. The plan
 * fetches tickets, metrics and documents at once (no step depends on another), then an LLM step
 * drafts a narrative from their outputs, and {@value ProjectTools#COMPOSE} assembles the update
 * from all four. The update has a Risks section when the goal asks for risks, or when a failed
 * verification said it lacked them (the re-plan).
 */
public final class UpdatePlanner implements Planner {
  static final int METRIC_WEEKS = 6;
  private static final Pattern PROJECT =
      Pattern.compile("\\bproject\\s+([\\p{L}\\p{N}_-]+)", Pattern.CASE_INSENSITIVE);

  private final Set<String> projects;

  /** A planner for these projects (keys, lower case); any other fails the planning. */
  public UpdatePlanner(Set<String> projects) {
    this.projects = Set.copyOf(projects);
  }

  @Override
  public Plan plan(Request request, Stage stage) {
    String project = project(request);
    boolean risks =
        mentionsRisk(request.goal()) || request.findings().stream().anyMatch(this::mentionsRisk);
    stage.decide(
        "plan",
        "executive update on "
            + project
            + (risks ? " with" : " without")
            + " risks"
            + (request.round() > 0 ? " (re-plan after: " + request.findings() + ")" : ""));
    ObjectNode of = ProjectData.JSON.createObjectNode().put("project", project);
    ObjectNode compose =
        of.deepCopy()
            .put("tickets", "${steps.tickets.output}")
            .put("metrics", "${steps.metrics.output}")
            .put("documents", "${steps.documents.output}")
            .put("narrative", "${steps.draft.output}")
            .put("include_risks", risks);
    return new Plan(
        request.goal(),
        List.of(
            Plan.Step.tool("tickets", ProjectTools.TICKETS, of.deepCopy())
                .describedAs("every ticket of the project: progress and risks"),
            Plan.Step.tool(
                    "metrics",
                    ProjectTools.METRICS,
                    of.deepCopy().put("metric", "all").put("weeks", METRIC_WEEKS))
                .describedAs("velocity, open bugs and burn of the last " + METRIC_WEEKS + " weeks"),
            Plan.Step.tool(
                    "documents",
                    ProjectTools.DOCUMENTS,
                    of.deepCopy().put("topic", "charter status"))
                .describedAs("the charter and the status notes"),
            Plan.Step.llm("draft", draftPrompt(risks))
                .describedAs("a narrative for executives from the three results")
                .after("tickets", "metrics", "documents"),
            Plan.Step.tool("update", ProjectTools.COMPOSE, compose)
                .describedAs("the executive update: summary, metrics, risks, narrative")
                .after("tickets", "metrics", "documents", "draft")));
  }

  private static String draftPrompt(boolean risks) {
    return "Write a narrative of at most four sentences for an executive update. Goal: ${goal}.\n"
        + "Say where the project stands against its charter, what changed in the last weeks"
        + (risks ? ", which risks need attention (by ticket id)," : "")
        + " and what decision is needed. Use only these sources.\n"
        + "Tickets: ${steps.tickets.output}\n"
        + "Metrics: ${steps.metrics.output}\n"
        + "Documents: ${steps.documents.output}";
  }

  private String project(Request request) {
    String named = request.context().get("project");
    if (named == null) {
      Matcher m = PROJECT.matcher(request.goal());
      named = m.find() ? m.group(1) : null;
    }
    if (named == null) {
      throw new FatalTaskException(
          "name the project: 'project <key>' in the goal, or a 'project' context entry");
    }
    String key = named.toLowerCase(Locale.ROOT);
    if (!projects.contains(key)) {
      throw new FatalTaskException(
          "no project '"
              + named
              + "' in the bundled data ("
              + projects.stream().sorted().toList()
              + ")");
    }
    return key;
  }

  private boolean mentionsRisk(String text) {
    return text.toLowerCase(Locale.ROOT).contains("risk");
  }
}
