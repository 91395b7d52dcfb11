package dev.orchestrator.examples.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.pipeline.Verifier;
import dev.orchestrator.retry.FatalTaskException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo pipeline {@value #NAME}: a project's open tickets and this week's metrics (from data
 * bundled in the jar), the risks among the tickets, and an update the model writes from all three,
 * which must name the risks (the verifier's check). Deterministic: the plan is a function of the
 * context's {@code project} (default {@code atlas}), and the tools read only the bundled files. An
 * unknown project fails the tickets step, which a rerun from that step with other arguments mends.
 *
 * <pre>{@code
 * tickets ──> risks ──┐
 *    └────────────────┼──> update
 * metrics ────────────┘
 * }</pre>
 */
final class WeeklyUpdate {
  static final String NAME = "weekly-update";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNode TICKETS = load("data/tickets.json");
  private static final JsonNode METRICS = load("data/metrics.json");
  private static final String PROJECT_SCHEMA =
      "{\"type\":\"object\",\"properties\":{\"project\":{\"type\":\"string\"}},"
          + "\"required\":[\"project\"],\"additionalProperties\":false}";

  private WeeklyUpdate() {}

  static Pipeline pipeline() {
    return Pipeline.builder(NAME)
        .planner((request, stage) -> plan(request.goal(), project(request.context())))
        .tools(ToolRegistry.of(ticketSearch(), projectMetrics(), riskFlags()))
        .verifier(Verifier.allOf(Verifier.structural(), Verifier.mentions("risk")))
        .build();
  }

  private static String project(java.util.Map<String, String> context) {
    String p = context.get("project");
    return p == null || p.isBlank() ? "atlas" : p.strip();
  }

  static Plan plan(String goal, String project) {
    return new Plan(
        goal,
        List.of(
            Plan.Step.tool("tickets", "ticket_search", projectArgument(project))
                .describedAs("The project's open tickets"),
            Plan.Step.tool("metrics", "project_metrics", projectArgument(project))
                .describedAs("This week's delivery metrics"),
            Plan.Step.tool(
                    "risks",
                    "risk_flags",
                    JSON.createObjectNode().put("tickets", "${steps.tickets.output}"))
                .describedAs("Blockers and high-priority tickets")
                .after("tickets"),
            Plan.Step.llm(
                    "update",
                    "Name the risks first, then write the weekly update of project "
                        + project
                        + " for: ${goal}\n"
                        + "Tickets: ${steps.tickets.output}\n"
                        + "Metrics: ${steps.metrics.output}\n"
                        + "Risks: ${steps.risks.output}")
                .describedAs("The update, from the tickets, the metrics and the risks")
                .after("tickets", "metrics", "risks")));
  }

  private static ObjectNode projectArgument(String project) {
    return JSON.createObjectNode().put("project", project);
  }

  private static Tool ticketSearch() {
    return Tool.builder("ticket_search")
        .description("The open tickets of a project (JSON: id, title, priority, status)")
        .parameters(PROJECT_SCHEMA)
        .timeout(Duration.ofSeconds(10))
        .typicalDuration(Duration.ofMillis(50))
        .function(
            args -> {
              String project = args.path("project").asText();
              JsonNode tickets = TICKETS.get(project);
              if (tickets == null) {
                List<String> known = new ArrayList<>();
                TICKETS.fieldNames().forEachRemaining(known::add);
                throw new FatalTaskException("no project '" + project + "' (known: " + known + ")");
              }
              return JSON.writeValueAsString(tickets);
            })
        .build();
  }

  private static Tool projectMetrics() {
    return Tool.builder("project_metrics")
        .description("This week's delivery metrics of a project (JSON)")
        .parameters(PROJECT_SCHEMA)
        .timeout(Duration.ofSeconds(10))
        .typicalDuration(Duration.ofMillis(50))
        .function(
            args -> {
              JsonNode metrics = METRICS.get(args.path("project").asText());
              return metrics == null ? "{}" : JSON.writeValueAsString(metrics);
            })
        .build();
  }

  private static Tool riskFlags() {
    return Tool.builder("risk_flags")
        .description(
            "The blockers and high-priority tickets among tickets given as JSON, one a line")
        .parameters(
            "{\"type\":\"object\",\"properties\":{\"tickets\":{\"type\":\"string\"}},"
                + "\"required\":[\"tickets\"]}")
        .timeout(Duration.ofSeconds(10))
        .typicalDuration(Duration.ofMillis(20))
        .function(
            args -> {
              List<String> risks = new ArrayList<>();
              for (JsonNode t : JSON.readTree(args.path("tickets").asText())) {
                String priority = t.path("priority").asText();
                if (priority.equals("blocker") || priority.equals("high")) {
                  risks.add(
                      "risk "
                          + t.path("id").asText()
                          + " ("
                          + priority
                          + "): "
                          + t.path("title").asText());
                }
              }
              return risks.isEmpty() ? "no risks" : String.join("\n", risks);
            })
        .build();
  }

  private static JsonNode load(String resource) {
    try (InputStream in = WeeklyUpdate.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing " + resource);
      }
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
