package dev.orchestrator.examples.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.examples.pipeline.ProjectData.Document;
import dev.orchestrator.examples.pipeline.ProjectData.Project;
import dev.orchestrator.examples.pipeline.ProjectData.Ticket;
import dev.orchestrator.retry.FatalTaskException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The body of the {@value ProjectTools#COMPOSE} tool: an executive update in Markdown assembled
 * from the results of the three data tools, a pure function of them. Its risks are the open tickets
 * labelled {@code risk} or {@code blocker} (blockers first, then by priority) and the metrics that
 * moved the wrong way by more than a threshold.
 */
final class UpdateComposer {
  /** A fall of velocity, or a rise of open bugs or burn, beyond which the trend is a risk. */
  private static final Map<String, Integer> TREND_THRESHOLD_PERCENT =
      Map.of("velocity", -10, "open_bugs", 25, "burn", 20);

  private static final Map<String, String> LABELS =
      Map.of("velocity", "velocity (points)", "open_bugs", "open bugs", "burn", "burn (k EUR)");

  /** How a trend names its metric, and the unit after its figures. */
  private static final Map<String, String[]> TREND_WORDS =
      Map.of(
          "velocity", new String[] {"Velocity", " points a week"},
          "open_bugs", new String[] {"Open bugs", ""},
          "burn", new String[] {"Weekly burn", "k EUR"});

  private UpdateComposer() {}

  static String compose(
      Project project,
      JsonNode ticketResult,
      JsonNode metricResult,
      JsonNode documentResult,
      String narrative,
      boolean includeRisks) {
    List<Ticket> tickets = list(ticketResult.path("tickets"), Ticket.class);
    List<Document> documents = list(documentResult.path("documents"), Document.class);
    List<JsonNode> weeks = new ArrayList<>();
    metricResult.path("weeks").forEach(weeks::add);
    List<String> metrics =
        ProjectTools.METRIC_NAMES.stream()
            .filter(m -> !weeks.isEmpty() && weeks.get(0).has(m))
            .toList();

    StringBuilder out = new StringBuilder();
    out.append("# Executive update: ")
        .append(project.name())
        .append(" (")
        .append(project.title())
        .append(")\n");
    if (!weeks.isEmpty()) {
      out.append("As of ").append(last(weeks).path("week").asText()).append(". ");
    }
    out.append(
        String.format(
            Locale.ROOT,
            "Sponsor: %s. Sources: %d tickets, %d weeks of metrics, %d documents.\n\n",
            project.sponsor(),
            tickets.size(),
            weeks.size(),
            documents.size()));

    out.append("## Summary\n");
    documents.stream()
        .filter(d -> d.kind().equals("charter"))
        .findFirst()
        .ifPresent(d -> out.append(firstSentence(d.text())).append('\n'));
    out.append(progress(tickets)).append('\n');
    documents.stream()
        .filter(d -> d.kind().equals("status"))
        .max(Comparator.comparing(Document::updated))
        .ifPresent(
            d ->
                out.append(
                    String.format(
                        Locale.ROOT,
                        "Latest status (%s, %s): %s\n",
                        d.title(),
                        d.updated(),
                        d.text())));

    if (!metrics.isEmpty()) {
      metricsTable(out, weeks, metrics);
    }

    if (includeRisks) {
      out.append("\n## Risks\n");
      List<Ticket> risks =
          tickets.stream()
              .filter(Ticket::risky)
              .sorted(
                  Comparator.comparing((Ticket t) -> !t.labels().contains("blocker"))
                      .thenComparing(Ticket::priority)
                      .thenComparing(Ticket::id))
              .toList();
      for (Ticket t : risks) {
        out.append(
            String.format(
                Locale.ROOT,
                "- %s (%s, %s; %s): %s. Owner: %s.\n",
                t.id(),
                t.priority(),
                t.status().replace('_', ' '),
                String.join(", ", t.labels()),
                t.title(),
                t.owner()));
      }
      List<String> trends = trends(weeks, metrics);
      trends.forEach(s -> out.append("- Trend: ").append(s).append('\n'));
      if (risks.isEmpty() && trends.isEmpty()) {
        out.append("- No open ticket is labelled risk or blocker, and no metric trend is one.\n");
      }
    }

    if (narrative != null) {
      out.append("\n## Narrative (the model's draft)\n").append(narrative.strip()).append('\n');
    }
    return out.toString();
  }

  private static <T> List<T> list(JsonNode array, Class<T> type) {
    List<T> items = new ArrayList<>();
    for (JsonNode n : array) {
      try {
        items.add(ProjectData.JSON.treeToValue(n, type));
      } catch (JsonProcessingException e) {
        throw new FatalTaskException("not a " + type.getSimpleName() + ": " + n);
      }
    }
    return items;
  }

  private static JsonNode last(List<JsonNode> weeks) {
    return weeks.get(weeks.size() - 1);
  }

  private static String firstSentence(String text) {
    int end = text.indexOf(". ");
    return end < 0 ? text : text.substring(0, end + 1);
  }

  private static String progress(List<Ticket> tickets) {
    Map<String, Long> byStatus =
        tickets.stream().collect(Collectors.groupingBy(Ticket::status, Collectors.counting()));
    Function<String, Long> count = s -> byStatus.getOrDefault(s, 0L);
    return String.format(
        Locale.ROOT,
        "Progress: %d of %d tickets done; %d in progress, %d blocked, %d to do.",
        count.apply("done"),
        tickets.size(),
        count.apply("in_progress"),
        count.apply("blocked"),
        count.apply("todo"));
  }

  private static void metricsTable(StringBuilder out, List<JsonNode> weeks, List<String> metrics) {
    String from = weeks.get(0).path("week").asText();
    String to = last(weeks).path("week").asText();
    out.append("\n## Metrics (")
        .append(from)
        .append(" to ")
        .append(to)
        .append(")\n")
        .append(
            String.format(
                Locale.ROOT, "| %-17s | %8s | %8s | %-11s |\n", "metric", from, to, "change"))
        .append("|-------------------|---------:|---------:|-------------|\n");
    for (String m : metrics) {
      int a = weeks.get(0).path(m).asInt();
      int b = last(weeks).path(m).asInt();
      out.append(
          String.format(
              Locale.ROOT,
              "| %-17s | %8d | %8d | %-11s |\n",
              LABELS.get(m),
              a,
              b,
              String.format(Locale.ROOT, "%+d (%+d%%)", b - a, percent(a, b))));
    }
    if (metrics.contains("burn")) {
      int spent = 0;
      for (JsonNode w : weeks) {
        spent += w.path("burn").asInt();
      }
      out.append(
          String.format(Locale.ROOT, "Spent in these %d weeks: EUR %dk.\n", weeks.size(), spent));
    }
  }

  private static long percent(int from, int to) {
    return from == 0 ? 0 : Math.round((to - from) * 100.0 / from);
  }

  /** The metrics whose change over the window passed its threshold, in words. */
  private static List<String> trends(List<JsonNode> weeks, List<String> metrics) {
    List<String> trends = new ArrayList<>();
    for (String m : metrics) {
      int a = weeks.get(0).path(m).asInt();
      int b = last(weeks).path(m).asInt();
      long change = percent(a, b);
      int threshold = TREND_THRESHOLD_PERCENT.get(m);
      if (threshold < 0 ? change <= threshold : change >= threshold) {
        String[] words = TREND_WORDS.get(m);
        trends.add(
            String.format(
                Locale.ROOT,
                "%s %s %d%% in %d weeks (%d to %d%s).",
                words[0],
                change < 0 ? "down" : "up",
                Math.abs(change),
                weeks.size(),
                a,
                b,
                words[1]));
      }
    }
    return trends;
  }
}
