package dev.orchestrator;

import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.TaskEvent;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The orchestrator as one owner (tenant) sees it: submits are owned by it, and another owner's
 * tasks are invisible (reads return nothing, changes throw {@link TaskNotFoundException}, parents
 * must be its own). Get one from {@link Orchestrator#forOwner(String)}; {@link
 * Orchestrator#everyOwner()} gives the same interface over every owner's tasks.
 */
public final class OwnerScope {
  private final Orchestrator orchestrator;
  private final String owner;

  /**
   * @param owner the owner, or null for the view of every owner ({@link Orchestrator#everyOwner()})
   */
  OwnerScope(Orchestrator orchestrator, String owner) {
    this.orchestrator = orchestrator;
    this.owner = owner;
    if (owner != null && owner.isBlank()) {
      throw new IllegalArgumentException("owner must not be blank");
    }
  }

  /** The owner, or null when this view sees every owner. */
  public String owner() {
    return owner;
  }

  /** This owner's tasks that ended within the window, by minute, status and model. */
  public List<Activity> activity(java.time.Duration window) {
    return orchestrator.store().activity(orchestrator.clock().now().minus(window), owner);
  }

  /** Number of this owner's tasks in each status (statuses with none may be absent). */
  public java.util.Map<TaskStatus, Long> countByStatus() {
    return orchestrator.store().countByStatus(owner);
  }

  public Task submit(TaskSpec spec) {
    return orchestrator.submitAll(List.of(spec), owner).get(0);
  }

  public List<Task> submitAll(List<TaskSpec> specs) {
    return orchestrator.submitAll(specs, owner);
  }

  public Task chain(UUID parentId, TaskSpec spec) {
    return orchestrator.chain(parentId, spec, owner);
  }

  public Optional<Task> get(UUID id) {
    return orchestrator.get(id, owner);
  }

  /** This owner's tasks matching the query (its owner filter is replaced by this owner). */
  public Page<Task> list(TaskQuery query) {
    return orchestrator.list(owner == null ? query : query.withOwner(owner));
  }

  public List<Attempt> attempts(UUID id) {
    return orchestrator.attempts(id, owner);
  }

  public List<TaskEvent> events(UUID id) {
    return orchestrator.events(id, owner);
  }

  /** The feed of this owner's tasks' events; see {@link Orchestrator#feed}. */
  public FeedPage feed(FeedQuery query) {
    return orchestrator.feed(owner == null ? query : query.ofOwner(owner));
  }

  public Lineage lineage(UUID id) {
    return orchestrator.lineage(id, owner);
  }

  public Task cancel(UUID id, String reason) {
    return orchestrator.cancel(id, reason, owner);
  }

  public Task retry(UUID id, int attempts) {
    return orchestrator.retry(id, attempts, owner);
  }

  /**
   * Sends a signal to one of this owner's runs and wakes its tasks waiting for it; see {@link
   * Orchestrator#signal}. Another owner's run is refused as unknown (UNKNOWN_RUN).
   */
  public boolean signal(UUID runId, String name, String payload) {
    return orchestrator.signal(runId, name, payload, owner);
  }

  /** Pauses one of this owner's tasks; see {@link Orchestrator#pause}. */
  public Task pause(UUID id) {
    return orchestrator.setPaused(id, true, owner);
  }

  /** Resumes one of this owner's tasks; see {@link Orchestrator#resume}. */
  public Task resume(UUID id) {
    return orchestrator.setPaused(id, false, owner);
  }

  /**
   * Pauses every one of this owner's tasks the query matches; see {@link Orchestrator#pauseAll}.
   */
  public BulkResult pauseAll(TaskQuery query) {
    return orchestrator.pauseAll(query, true, owner);
  }

  /** Resumes every one of this owner's paused tasks the query matches. */
  public BulkResult resumeAll(TaskQuery query) {
    return orchestrator.pauseAll(query, false, owner);
  }

  /**
   * Cancels every one of this owner's tasks the query matches (its owner filter is replaced by this
   * owner); see {@link Orchestrator#cancelAll}.
   */
  public BulkResult cancelAll(TaskQuery query, String reason) {
    return orchestrator.cancelAll(query, reason, owner);
  }

  /**
   * Reopens every one of this owner's FAILED or CANCELLED tasks the query matches (its owner filter
   * is replaced by this owner); see {@link Orchestrator#retryAll}.
   */
  public BulkResult retryAll(TaskQuery query, int attempts) {
    return orchestrator.retryAll(query, attempts, owner);
  }

  public CompletableFuture<Task> await(UUID id) {
    return orchestrator.await(id, owner);
  }

  /** Tokens and cost of this owner, by model. */
  public List<UsageTotal> usage() {
    return orchestrator.store().usageTotals(owner);
  }
}
