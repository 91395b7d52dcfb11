package dev.orchestrator;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The whole graph a task belongs to: every ancestor and descendant reachable through parent edges.
 *
 * @param tasks the tasks, oldest first
 * @param edges parent-to-child edges among them
 */
public record Lineage(List<Task> tasks, List<Edge> edges) {
  public Lineage {
    tasks = List.copyOf(tasks);
    edges = List.copyOf(edges);
  }

  /** A parent-to-child link. */
  public record Edge(UUID parentId, UUID childId) {
    public Edge {
      Objects.requireNonNull(parentId, "parentId");
      Objects.requireNonNull(childId, "childId");
    }
  }
}
