package dev.orchestrator;

import java.util.UUID;

/**
 * What to read of the store's event feed: the events of every task, in the order they became
 * visible, from a position on.
 *
 * @param after only events after this position (an {@link FeedEntry#position()} or {@link
 *     FeedPage#position()}); null: from the oldest event kept
 * @param taskId only this task's events
 * @param rootId only events of the tasks of this chain
 * @param owner only events of this owner's tasks
 * @param limit most entries in one page, 1 to {@link #MAX_LIMIT}
 */
public record FeedQuery(String after, UUID taskId, UUID rootId, String owner, int limit) {
  public static final int DEFAULT_LIMIT = 200;
  public static final int MAX_LIMIT = 1000;

  public FeedQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ": " + limit);
    }
  }

  /** Every event after the position, a page of the default size. */
  public static FeedQuery after(String position) {
    return new FeedQuery(position, null, null, null, DEFAULT_LIMIT);
  }

  /** The same query from another position (the next page). */
  public FeedQuery from(String position) {
    return new FeedQuery(position, taskId, rootId, owner, limit);
  }

  /** The same query for one task. */
  public FeedQuery ofTask(UUID id) {
    return new FeedQuery(after, id, rootId, owner, limit);
  }

  /** The same query for one chain. */
  public FeedQuery ofRoot(UUID id) {
    return new FeedQuery(after, taskId, id, owner, limit);
  }

  /** The same query restricted to one owner. */
  public FeedQuery ofOwner(String value) {
    return new FeedQuery(after, taskId, rootId, value, limit);
  }

  /** The same query with another page size. */
  public FeedQuery limit(int value) {
    return new FeedQuery(after, taskId, rootId, owner, value);
  }
}
