package dev.orchestrator;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * A filter and a page request over tasks, newest first. Pagination is by keyset: pass the previous
 * page's {@link Page#nextCursor()} as {@link Builder#after(UUID)}.
 *
 * @param statuses only these statuses (empty: all)
 * @param parentId only children of this task
 * @param rootId only tasks of this chain
 * @param owner only this owner's tasks
 * @param type only tasks of this type (the handler that runs them; {@link Task#LLM_TYPE} for a
 *     plain LLM call)
 * @param labelKey only tasks with this label...
 * @param labelValue ...set to this value (null: any value)
 * @param text case-insensitive substring of the name or the prompt
 * @param after keyset cursor: only tasks older than this id
 * @param limit page size, 1 to {@link #MAX_LIMIT}
 */
public record TaskQuery(
    Set<TaskStatus> statuses,
    UUID parentId,
    UUID rootId,
    String owner,
    String type,
    String labelKey,
    String labelValue,
    String text,
    UUID after,
    int limit) {
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 1000;

  public TaskQuery {
    statuses = statuses == null || statuses.isEmpty() ? Set.of() : Set.copyOf(statuses);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ": " + limit);
    }
    if (labelValue != null) {
      Objects.requireNonNull(labelKey, "labelValue needs labelKey");
    }
    if (type != null && type.isEmpty()) {
      type = null;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The first page of every task. */
  public static TaskQuery all() {
    return builder().build();
  }

  /** The same query for the page after the given cursor. */
  public TaskQuery after(UUID cursor) {
    return new TaskQuery(
        statuses, parentId, rootId, owner, type, labelKey, labelValue, text, cursor, limit);
  }

  /** The same query restricted to one owner. */
  public TaskQuery withOwner(String newOwner) {
    return new TaskQuery(
        statuses, parentId, rootId, newOwner, type, labelKey, labelValue, text, after, limit);
  }

  /** The same query with another page size. */
  public TaskQuery withLimit(int newLimit) {
    return new TaskQuery(
        statuses, parentId, rootId, owner, type, labelKey, labelValue, text, after, newLimit);
  }

  /** True when the task passes every filter except the cursor and limit. */
  public boolean matches(Task t) {
    if (!statuses.isEmpty() && !statuses.contains(t.status())) return false;
    if (parentId != null && !t.parentIds().contains(parentId)) return false;
    if (rootId != null && !rootId.equals(t.rootId())) return false;
    if (owner != null && !owner.equals(t.owner())) return false;
    if (type != null && !type.equals(t.type())) return false;
    if (labelKey != null) {
      String v = t.labels().get(labelKey);
      if (v == null || (labelValue != null && !labelValue.equals(v))) return false;
    }
    if (text != null && !text.isEmpty()) {
      String needle = text.toLowerCase(java.util.Locale.ROOT);
      boolean inName =
          t.name() != null && t.name().toLowerCase(java.util.Locale.ROOT).contains(needle);
      boolean inPrompt =
          t.prompt() != null && t.prompt().toLowerCase(java.util.Locale.ROOT).contains(needle);
      if (!inName && !inPrompt) return false;
    }
    return true;
  }

  public static final class Builder {
    private final Set<TaskStatus> statuses = EnumSet.noneOf(TaskStatus.class);
    private UUID parentId;
    private UUID rootId;
    private String owner;
    private String type;
    private String labelKey;
    private String labelValue;
    private String text;
    private UUID after;
    private int limit = DEFAULT_LIMIT;

    public Builder status(TaskStatus... values) {
      statuses.addAll(Set.of(values));
      return this;
    }

    public Builder parent(UUID id) {
      parentId = id;
      return this;
    }

    public Builder root(UUID id) {
      rootId = id;
      return this;
    }

    public Builder owner(String value) {
      owner = value;
      return this;
    }

    /** Only tasks of this type (null or empty: every type). */
    public Builder type(String value) {
      type = value;
      return this;
    }

    public Builder label(String key, String value) {
      labelKey = key;
      labelValue = value;
      return this;
    }

    public Builder hasLabel(String key) {
      labelKey = key;
      labelValue = null;
      return this;
    }

    public Builder text(String value) {
      text = value;
      return this;
    }

    public Builder after(UUID cursor) {
      after = cursor;
      return this;
    }

    public Builder limit(int value) {
      limit = value;
      return this;
    }

    public TaskQuery build() {
      return new TaskQuery(
          statuses, parentId, rootId, owner, type, labelKey, labelValue, text, after, limit);
    }
  }
}
