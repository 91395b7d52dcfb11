package dev.orchestrator.examples.pipeline;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The example's bundled data (under {@code data/} on the classpath): three projects, their tickets,
 * eight weeks of metrics and a few documents. Read once; every query is a pure function of its
 * arguments, in a fixed order, so the tools built on it answer the same every time.
 */
public final class ProjectData {
  /** Snake case, as the tools speak JSON to planners and models. */
  static final ObjectMapper JSON =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Ticket statuses; "open" in a filter means any but {@code done}. */
  static final List<String> STATUSES = List.of("todo", "in_progress", "blocked", "done");

  public record Project(String key, String name, String title, String sponsor) {}

  public record Ticket(
      String id,
      String project,
      String title,
      String status,
      String priority,
      List<String> labels,
      String owner) {
    public boolean open() {
      return !"done".equals(status);
    }

    /** Open and labelled {@code risk} or {@code blocker}: what an executive update must name. */
    public boolean risky() {
      return open() && (labels.contains("risk") || labels.contains("blocker"));
    }
  }

  /**
   * One project's week.
   *
   * @param velocity story points completed
   * @param openBugs open bugs at the week's end
   * @param burn thousands of EUR spent in the week
   */
  public record Week(String project, String week, int velocity, int openBugs, int burn) {}

  public record Document(
      String id,
      String project,
      String kind,
      String title,
      String updated,
      List<String> tags,
      String text) {}

  private final List<Project> projects;
  private final List<Ticket> tickets;
  private final List<Week> weeks;
  private final List<Document> documents;

  private ProjectData(
      List<Project> projects, List<Ticket> tickets, List<Week> weeks, List<Document> documents) {
    this.projects = List.copyOf(projects);
    this.tickets = List.copyOf(tickets);
    this.weeks = List.copyOf(weeks);
    this.documents = List.copyOf(documents);
  }

  /** The data bundled with the example. */
  public static ProjectData bundled() {
    return new ProjectData(
        read("projects.json", new TypeReference<>() {}),
        read("tickets.json", new TypeReference<>() {}),
        metrics(),
        read("documents.json", new TypeReference<>() {}));
  }

  private static InputStream resource(String name) {
    InputStream in = ProjectData.class.getClassLoader().getResourceAsStream("data/" + name);
    if (in == null) {
      throw new IllegalStateException("the bundled data/" + name + " is not on the classpath");
    }
    return in;
  }

  private static <T> List<T> read(String name, TypeReference<List<T>> type) {
    try (InputStream in = resource(name)) {
      return JSON.readValue(in, type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read data/" + name, e);
    }
  }

  /** {@code metrics.csv}: project,week,velocity,open_bugs,burn with a header line. */
  private static List<Week> metrics() {
    List<Week> weeks = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(resource("metrics.csv"), StandardCharsets.UTF_8))) {
      in.readLine();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split(",");
        weeks.add(
            new Week(
                f[0],
                f[1],
                Integer.parseInt(f[2]),
                Integer.parseInt(f[3]),
                Integer.parseInt(f[4])));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read data/metrics.csv", e);
    }
    weeks.sort(Comparator.comparing(Week::project).thenComparing(Week::week));
    return weeks;
  }

  /** Every project, in key order. */
  public List<Project> projects() {
    return projects.stream().sorted(Comparator.comparing(Project::key)).toList();
  }

  /** The project with this key or name, ignoring case. */
  public Optional<Project> project(String keyOrName) {
    if (keyOrName == null) {
      return Optional.empty();
    }
    String k = keyOrName.strip().toLowerCase(Locale.ROOT);
    return projects.stream()
        .filter(p -> p.key().equals(k) || p.name().toLowerCase(Locale.ROOT).equals(k))
        .findFirst();
  }

  /**
   * The project's tickets, by id.
   *
   * @param status null for all, {@code open} for all but done, else one of {@link #STATUSES}
   * @param label null for all, else only tickets with this label
   */
  public List<Ticket> tickets(Project project, String status, String label) {
    return tickets.stream()
        .filter(t -> t.project().equals(project.key()))
        .filter(
            t -> status == null || ("open".equals(status) ? t.open() : t.status().equals(status)))
        .filter(t -> label == null || t.labels().contains(label))
        .sorted(Comparator.comparing(Ticket::id))
        .toList();
  }

  /** The project's last {@code count} weeks (or all it has), oldest first. */
  public List<Week> weeks(Project project, int count) {
    List<Week> all = weeks.stream().filter(w -> w.project().equals(project.key())).toList();
    return all.subList(Math.max(0, all.size() - count), all.size());
  }

  /**
   * The project's documents whose kind, title or tags contain a word of the topic (ignoring case),
   * by kind and then date; a blank topic matches all of them.
   */
  public List<Document> documents(Project project, String topic) {
    List<String> words =
        topic == null
            ? List.of()
            : Arrays.stream(topic.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+"))
                .filter(w -> w.length() >= 3)
                .toList();
    return documents.stream()
        .filter(d -> d.project().equals(project.key()))
        .filter(d -> words.isEmpty() || words.stream().anyMatch(w -> about(d, w)))
        .sorted(Comparator.comparing(Document::kind).thenComparing(Document::updated))
        .toList();
  }

  private static boolean about(Document d, String word) {
    return d.kind().contains(word)
        || d.title().toLowerCase(Locale.ROOT).contains(word)
        || d.tags().stream().anyMatch(t -> t.contains(word));
  }
}
