package dev.orchestrator.examples.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.examples.pipeline.ProjectData.Project;
import dev.orchestrator.examples.pipeline.ProjectData.Week;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.retry.FatalTaskException;
import dev.orchestrator.retry.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The example's tools over the bundled data: {@value #TICKETS}, {@value #METRICS} and {@value
 * #DOCUMENTS} stand for a ticket tracker, a metrics store and a wiki (each call takes the given
 * latency, as a remote call would), and {@value #COMPOSE} assembles the executive update from their
 * results. Each answers JSON text (the update: Markdown); bad arguments fail at once, without
 * retries ({@link FatalTaskException}).
 */
public final class ProjectTools {
  public static final String TICKETS = "ticket_search";
  public static final String METRICS = "metrics_query";
  public static final String DOCUMENTS = "document_lookup";
  public static final String COMPOSE = "compose_update";

  /** What a call to the tracker, the metrics store or the wiki takes in the demo. */
  public static final Duration BACKEND_LATENCY = Duration.ofMillis(150);

  static final List<String> METRIC_NAMES = List.of("velocity", "open_bugs", "burn");
  static final int MAX_WEEKS = 8;

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final RetryPolicy BACKOFF =
      new RetryPolicy(Duration.ofMillis(200), 2.0, Duration.ofSeconds(2));

  private final ProjectData data;
  private final Duration latency;

  private ProjectTools(ProjectData data, Duration latency) {
    this.data = data;
    this.latency = latency;
  }

  /** The four tools over this data, the data tools taking {@code latency} a call. */
  public static ToolRegistry registry(ProjectData data, Duration latency) {
    ProjectTools t = new ProjectTools(data, latency);
    return ToolRegistry.of(t.ticketSearch(), t.metricsQuery(), t.documentLookup(), t.compose());
  }

  private Tool.Builder backend(String name) {
    return Tool.builder(name)
        .timeout(TIMEOUT)
        .maxAttempts(3)
        .retryPolicy(BACKOFF)
        .typicalDuration(latency);
  }

  private Tool ticketSearch() {
    return backend(TICKETS)
        .description(
            "Finds the tickets of a project (id, title, status, priority, labels, owner), by id."
                + " Labels 'risk' and 'blocker' mark risks.")
        .parameters(
            """
            {"type": "object",
             "properties": {
               "project": {"type": "string", "description": "the project's key or name"},
               "status": {"type": "string",
                          "enum": ["open", "todo", "in_progress", "blocked", "done"],
                          "description": "only tickets of this status; open: all but done"},
               "label": {"type": "string", "description": "only tickets with this label"}},
             "required": ["project"], "additionalProperties": false}
            """)
        .function(
            args -> {
              Project p = project(args);
              String status = optional(args, "status");
              if (status != null
                  && !status.equals("open")
                  && !ProjectData.STATUSES.contains(status)) {
                throw new FatalTaskException(
                    "unknown status '"
                        + status
                        + "' (open or one of "
                        + ProjectData.STATUSES
                        + ")");
              }
              String label = optional(args, "label");
              List<ProjectData.Ticket> found = data.tickets(p, status, label);
              pause();
              ObjectNode out = ProjectData.JSON.createObjectNode().put("project", p.key());
              out.put("status", status).put("label", label).put("count", found.size());
              out.set("tickets", ProjectData.JSON.valueToTree(found));
              return out.toString();
            })
        .build();
  }

  private Tool metricsQuery() {
    return backend(METRICS)
        .description(
            "Weekly metrics of a project, oldest week first: velocity (story points done),"
                + " open_bugs (open at the week's end), burn (thousands of EUR spent in the week).")
        .parameters(
            """
            {"type": "object",
             "properties": {
               "project": {"type": "string", "description": "the project's key or name"},
               "metric": {"type": "string", "enum": ["velocity", "open_bugs", "burn", "all"],
                          "description": "one metric, or all (the default)"},
               "weeks": {"type": "integer", "description": "how many recent weeks, 1 to 8 (default 4)"}},
             "required": ["project"], "additionalProperties": false}
            """)
        .function(
            args -> {
              Project p = project(args);
              String metric = args.path("metric").asText("all");
              if (!metric.equals("all") && !METRIC_NAMES.contains(metric)) {
                throw new FatalTaskException(
                    "unknown metric '" + metric + "' (all or one of " + METRIC_NAMES + ")");
              }
              int count = args.path("weeks").asInt(4);
              if (count < 1 || count > MAX_WEEKS) {
                throw new FatalTaskException("weeks must be 1 to " + MAX_WEEKS + ": " + count);
              }
              pause();
              ObjectNode out = ProjectData.JSON.createObjectNode().put("project", p.key());
              out.put("metric", metric);
              ObjectNode units = out.putObject("units");
              units.put("velocity", "story points done in the week");
              units.put("open_bugs", "open bugs at the week's end");
              units.put("burn", "thousands of EUR spent in the week");
              ArrayNode rows = out.putArray("weeks");
              for (Week w : data.weeks(p, count)) {
                ObjectNode row = rows.addObject().put("week", w.week());
                for (String m : METRIC_NAMES) {
                  if (metric.equals("all") || metric.equals(m)) {
                    row.put(m, value(m).applyAsInt(w));
                  }
                }
              }
              return out.toString();
            })
        .build();
  }

  /** A metric of a week, by its name in {@link #METRIC_NAMES}. */
  static ToIntFunction<Week> value(String metric) {
    return switch (metric) {
      case "velocity" -> Week::velocity;
      case "open_bugs" -> Week::openBugs;
      case "burn" -> Week::burn;
      default -> throw new IllegalArgumentException("no metric " + metric);
    };
  }

  private Tool documentLookup() {
    return backend(DOCUMENTS)
        .description(
            "Finds a project's documents (charter, status notes) whose kind, title or tags match"
                + " a word of the topic; each with its date and full text.")
        .parameters(
            """
            {"type": "object",
             "properties": {
               "project": {"type": "string", "description": "the project's key or name"},
               "topic": {"type": "string", "description": "words such as: charter, status, budget"}},
             "required": ["project", "topic"], "additionalProperties": false}
            """)
        .function(
            args -> {
              Project p = project(args);
              String topic = args.path("topic").asText("");
              List<ProjectData.Document> found = data.documents(p, topic);
              pause();
              ObjectNode out = ProjectData.JSON.createObjectNode().put("project", p.key());
              out.put("topic", topic).put("count", found.size());
              out.set("documents", ProjectData.JSON.valueToTree(found));
              return out.toString();
            })
        .build();
  }

  private Tool compose() {
    return Tool.builder(COMPOSE)
        .description(
            "Assembles the executive update (Markdown: summary, metrics, risks, narrative) from"
                + " the JSON results of ticket_search, metrics_query and document_lookup for the"
                + " project, and a narrative text.")
        .parameters(
            """
            {"type": "object",
             "properties": {
               "project": {"type": "string"},
               "tickets": {"type": "string", "description": "the result of ticket_search"},
               "metrics": {"type": "string", "description": "the result of metrics_query"},
               "documents": {"type": "string", "description": "the result of document_lookup"},
               "narrative": {"type": "string", "description": "a few sentences for executives"},
               "include_risks": {"type": "boolean", "description": "add the Risks section"}},
             "required": ["project", "tickets", "metrics", "documents"],
             "additionalProperties": false}
            """)
        .timeout(TIMEOUT)
        .maxAttempts(1) // a pure function: a retry would fail the same way
        .typicalDuration(Duration.ofMillis(5))
        .function(
            args ->
                UpdateComposer.compose(
                    project(args),
                    parsed(args, "tickets"),
                    parsed(args, "metrics"),
                    parsed(args, "documents"),
                    optional(args, "narrative"),
                    args.path("include_risks").asBoolean(true)))
        .build();
  }

  private Project project(JsonNode args) {
    String name = args.path("project").asText(null);
    return data.project(name)
        .orElseThrow(
            () ->
                new FatalTaskException(
                    "unknown project '"
                        + name
                        + "' (known: "
                        + data.projects().stream().map(Project::key).toList()
                        + ")"));
  }

  private static String optional(JsonNode args, String name) {
    JsonNode v = args.get(name);
    return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
  }

  private static JsonNode parsed(JsonNode args, String name) {
    try {
      JsonNode node = ProjectData.JSON.readTree(args.path(name).asText(""));
      if (node != null && node.isObject()) {
        return node;
      }
    } catch (IOException notJson) {
      // refused below
    }
    throw new FatalTaskException("'" + name + "' is not the JSON result of its tool");
  }

  /** The time a remote call would take; interruptible, so a timeout or a cancel ends it. */
  private void pause() throws InterruptedException {
    Thread.sleep(latency.toMillis());
  }
}
