package dev.orchestrator.spi;

import dev.orchestrator.FeedPage;
import dev.orchestrator.FeedQuery;
import dev.orchestrator.Lineage;
import dev.orchestrator.Page;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.schedule.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The authority on tasks. Every status change is a compare-and-set on {@code (id, status, version)}
 * that writes the task, the attempt record it ends and its event together, so two writers racing
 * can never both win. Every implementation passes {@code TaskStoreContract} from the core's test
 * jar. Implementations are thread-safe.
 */
public interface TaskStore extends AutoCloseable {
  /**
   * How far apart the turns of one owner's tasks queued behind each other are (see {@link
   * Task#turn}): one owner's backlog of n tasks spreads over n seconds of turns, so a task of any
   * other owner queued meanwhile goes ahead of all of that backlog whose turn is later than its
   * own, however long the backlog is.
   */
  Duration TURN_SPACING = Duration.ofSeconds(1);

  /**
   * Inserts new tasks atomically: all or none. A task whose {@code (owner, idempotencyKey)} already
   * exists is not inserted: the existing task takes its place in the result. Each insert records a
   * creation event and an edge from every parent.
   *
   * <p><b>Turns.</b> The store places each task inserted QUEUED fairly (a task inserted in another
   * status keeps its runAt as its turn): when QUEUED, unpaused tasks of its owner wait in its lane
   * (queue and type) at its priority, its turn is {@link #TURN_SPACING} after the latest of theirs
   * (or of those before it in the batch); when none do, its turn is the earlier of its runAt and
   * the turn of the lane's first waiting task at its priority, so it is claimed right after that
   * task. Owners flooding a lane thus take turns, and a lone task waits behind one task of each,
   * not behind their whole backlog.
   *
   * @param tasks new tasks with version 0, in PENDING, SCHEDULED or QUEUED
   * @return for each input, in order, the stored task (new, or the existing one for a repeated key)
   *     with the turn the store gave it
   */
  List<Task> insert(List<Task> tasks);

  Optional<Task> get(UUID id);

  /** The tasks among these ids that exist, in no particular order. */
  List<Task> getAll(Collection<UUID> ids);

  /**
   * Applies a status change as a compare-and-set. Where it wins, the update's {@linkplain
   * TaskUpdate#spawned spawned} tasks are inserted in the same transaction, as {@link #insert}
   * inserts them; where it loses, none is.
   *
   * @return the stored new value (version incremented), or empty when the task's status or version
   *     no longer match the update's expectation
   */
  Optional<Task> update(TaskUpdate update);

  /**
   * Applies several changes, each its own compare-and-set, in as few round trips as the store can
   * (a database: one transaction). This is the group commit of attempt endings: under load many
   * workers' results share one write.
   *
   * @return for each update, in order, the stored new value or empty where its compare-and-set
   *     failed
   */
  default List<Optional<Task>> updateAll(List<TaskUpdate> updates) {
    List<Optional<Task>> results = new java.util.ArrayList<>(updates.size());
    for (TaskUpdate u : updates) {
      results.add(update(u));
    }
    return results;
  }

  /**
   * Claims these tasks if they are still QUEUED, not paused, of a type not paused, and their
   * concurrency key (if any) has room: each becomes RUNNING with its attempt incremented, {@code
   * startedAt = lease.now()} and the lease set. Other ids are skipped.
   *
   * @return the claimed tasks
   */
  List<Task> claim(Collection<UUID> ids, Lease lease);

  /**
   * Claims up to {@code limit} QUEUED tasks, neither paused nor of a paused type, whose concurrency
   * key has room (never more RUNNING with a key than its tasks' limit, however many nodes claim at
   * once; a task whose key is full is passed over, so it blocks no task behind it), that the route
   * serves (in one of its queues, of one of its types), highest priority first, then earliest turn
   * ({@link Task#turn}), then oldest. Tasks of other lanes are not looked at, however many wait.
   * Safe with many nodes claiming at once: no task is claimed twice for one attempt.
   */
  List<Task> claimNext(int limit, Lease lease, Route route);

  /**
   * QUEUED tasks of a concurrency key, best first: what may run once a task of the key ends (the
   * queue may have dropped their hints while the key was full).
   */
  List<Task> queuedOfKey(String key, int limit);

  /**
   * Pauses a task type across the cluster: from this call's return no task of the type is claimed
   * ({@link #claim} and {@link #claimNext} skip them) until {@link #resumeType}. The tasks keep
   * their status. Durable.
   *
   * @return false when the type was paused already
   */
  boolean pauseType(String type);

  /**
   * Lets the type's tasks be claimed again.
   *
   * @return false when the type was not paused
   */
  boolean resumeType(String type);

  /** The task types paused now. */
  Set<String> pausedTypes();

  /**
   * Extends the lease of the owner's RUNNING tasks among {@code ids} to {@code expiresAt} in one
   * call. The version does not change.
   *
   * @return the ids whose lease was not renewed: no longer RUNNING under this owner (cancelled,
   *     reaped, finished), for the node to stop them
   */
  Set<UUID> renewLeases(String owner, Collection<UUID> ids, Instant expiresAt);

  /** Up to {@code limit} RUNNING tasks whose lease expired before {@code now}. */
  List<Task> expiredLeases(Instant now, int limit);

  /**
   * Moves up to {@code limit} SCHEDULED tasks whose runAt is not after {@code now} to QUEUED, each
   * with its event. Safe with many nodes promoting at once.
   *
   * @return the promoted tasks
   */
  List<Task> promoteDue(Instant now, int limit);

  /** The earliest runAt of a SCHEDULED task, for the scheduler to sleep until. */
  Optional<Instant> nextRunAt();

  /**
   * Tasks in this status whose status last changed before {@code before}, oldest first: QUEUED ones
   * nobody claimed (for the reconciler to offer again), PENDING ones to re-check.
   */
  List<Task> stale(dev.orchestrator.TaskStatus status, Instant before, int limit);

  /** The PENDING tasks that list any of these tasks among their parents, each once. */
  List<Task> pendingChildren(Collection<UUID> parentIds);

  /** A page of tasks matching the query, newest first, by keyset on id. */
  Page<Task> query(TaskQuery query);

  /** Attempt records of a task, by number. */
  List<Attempt> attempts(UUID taskId);

  /**
   * Attaches the result a worker produced after its attempt was ended from outside (cancelled,
   * timed out) to that attempt's record, when the record's outcome {@linkplain
   * AttemptOutcome#keepsLateResult() keeps late results}; otherwise does nothing.
   */
  void attachLateResult(Attempt lateResult);

  /** Events of a task, oldest first. */
  List<TaskEvent> events(UUID taskId);

  /**
   * The events of every task in the order they became visible, after a position. A reader that
   * resumes after the position of the last entry it read misses no event and reads none twice,
   * whatever commits meanwhile: an event becomes part of the feed only once nothing written before
   * it can still appear. Purged tasks' events leave the feed.
   *
   * @throws IllegalArgumentException when {@code query.after()} is not a position of this store
   */
  FeedPage feed(FeedQuery query);

  /** The position of the newest event in the feed now: read after it for what comes next. */
  String feedHead();

  /** Appends a note (an event with {@code from == to}) without changing the task. */
  void appendEvent(TaskEvent note);

  /** Every parent-to-child edge of the graph the task belongs to (ancestors and descendants). */
  List<Lineage.Edge> lineage(UUID taskId);

  /**
   * Deletes COMPLETED, FAILED and CANCELLED tasks whose status last changed before {@code cutoff},
   * with their attempt records, events and edges, at most {@code batchSize} tasks per transaction.
   * A run's {@linkplain #saveSignal signals} go with the last of its tasks: a transaction that
   * deletes tasks of a run and leaves none of them deletes its signals too (a run whose last tasks
   * two purges delete at once, each seeing the other's still there, keeps them), so a run that
   * lives on after its root was purged keeps its signals.
   *
   * @return how many tasks were deleted
   */
  long purgeTerminal(Instant cutoff, int batchSize);

  /**
   * Number of tasks in each status (statuses with none may be absent).
   *
   * @param owner only this owner's tasks, or null for all
   */
  java.util.Map<dev.orchestrator.TaskStatus, Long> countByStatus(String owner);

  /** Number of tasks of every owner in each status (statuses with none may be absent). */
  default java.util.Map<dev.orchestrator.TaskStatus, Long> countByStatus() {
    return countByStatus(null);
  }

  /**
   * Tokens and cost of attempt records grouped by owner and model.
   *
   * @param owner only this owner, or null for all
   */
  List<dev.orchestrator.UsageTotal> usageTotals(String owner);

  /**
   * Tasks that reached COMPLETED or FAILED since {@code since}, counted by the minute they ended,
   * their status and model, with their tokens and cost.
   *
   * @param owner only this owner's tasks, or null for all
   */
  List<dev.orchestrator.Activity> activity(Instant since, String owner);

  // ---- signals ----

  /**
   * Stores a signal to a run (the tasks sharing a {@linkplain Task#rootId root}, identified by the
   * root's id), durably. The first signal of a name for a run wins: a repeat returns false and
   * changes nothing.
   *
   * @param payload the signal's content (may be empty, not null)
   * @param at when it was sent
   * @return true when this call stored it
   */
  boolean saveSignal(UUID runId, String name, String payload, Instant at);

  /** The payload of the run's signal of this name, or empty when none was sent. */
  Optional<String> signal(UUID runId, String name);

  /** Records that a node is alive now, running {@code running} attempts (its heartbeat). */
  void recordNode(String nodeId, Instant startedAt, Instant now, int running);

  /** Forgets a node that shut down. */
  void forgetNode(String nodeId);

  /** The nodes heard of since {@code seenSince}, by id. */
  List<dev.orchestrator.NodeInfo> nodes(Instant seenSince);

  // ---- recurring schedules ----

  /**
   * Writes a schedule as a compare-and-set on its name and version: a schedule with version 0 is
   * inserted if no schedule of its name exists; one with version n replaces the stored schedule of
   * its name if that one still has version n. Either way the stored copy gets version n + 1.
   *
   * @return the stored schedule, or empty when the compare-and-set failed (the name is taken, or
   *     the schedule changed or disappeared since it was read)
   */
  Optional<Schedule> saveSchedule(Schedule schedule);

  /** The schedule of this name, if any. */
  Optional<Schedule> schedule(String name);

  /** Every schedule, by name. */
  List<Schedule> schedules();

  /**
   * Removes the schedule of this name. Tasks it submitted stay.
   *
   * @return whether there was one
   */
  boolean deleteSchedule(String name);

  /**
   * Records that a schedule handled its fire times up to {@code since}, as a compare-and-set on its
   * version: {@code since}, {@code nextFire} and {@code updatedAt} are set and the version
   * incremented only if the stored version is still {@code expectedVersion}. Of many nodes
   * advancing one schedule from the same version, exactly one wins.
   *
   * @return the stored schedule, or empty when the version no longer matches (or it was removed)
   */
  Optional<Schedule> advanceSchedule(
      String name, long expectedVersion, Instant since, Instant nextFire, Instant now);

  /**
   * Up to {@code limit} schedules whose next fire time is not after {@code until}, earliest first
   * (then by name): the due ones, and those a runtime that looks ahead to {@code until} should wake
   * up for.
   */
  List<Schedule> dueSchedules(Instant until, int limit);

  /** Releases the store's resources. The in-memory store forgets nothing on close. */
  @Override
  default void close() {}
}
