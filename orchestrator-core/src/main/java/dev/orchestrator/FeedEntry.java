package dev.orchestrator;

import dev.orchestrator.lifecycle.TaskEvent;
import java.util.Objects;

/**
 * One event of the store's feed and where it stands in it.
 *
 * @param position opaque and store-specific; resume a feed after it (e.g. an SSE event id)
 * @param event the event
 */
public record FeedEntry(String position, TaskEvent event) {
  public FeedEntry {
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(event, "event");
  }
}
