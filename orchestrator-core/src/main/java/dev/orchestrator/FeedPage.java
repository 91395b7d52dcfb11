package dev.orchestrator;

import java.util.List;
import java.util.Objects;

/**
 * One page of the store's event feed.
 *
 * @param entries the events, in feed order
 * @param position where the next page starts: the last entry's position, or the query's own when
 *     the page is empty
 */
public record FeedPage(List<FeedEntry> entries, String position) {
  public FeedPage {
    entries = List.copyOf(entries);
    Objects.requireNonNull(position, "position");
  }
}
