package dev.orchestrator;

import java.util.List;
import java.util.UUID;

/**
 * One page of a query.
 *
 * @param items the tasks, newest first
 * @param nextCursor pass to {@link TaskQuery#after(UUID)} for the next page; null on the last page
 */
public record Page<T>(List<T> items, UUID nextCursor) {
  public Page {
    items = List.copyOf(items);
  }

  public boolean hasNext() {
    return nextCursor != null;
  }
}
