package dev.orchestrator.memory;

import static dev.orchestrator.spi.TaskStore.TURN_SPACING;

import dev.orchestrator.FeedEntry;
import dev.orchestrator.FeedPage;
import dev.orchestrator.FeedQuery;
import dev.orchestrator.Lineage;
import dev.orchestrator.Page;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.UsageTotal;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.lifecycle.Transitions;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.Route;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spi.TaskUpdate;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded store: tasks in memory, lost with the JVM. Writes are serialised on one lock and
 * checked exactly as a database checks them (status and version compare-and-set), so it gives one
 * JVM the same guarantees PostgreSQL gives a cluster. Reads of single tasks take no lock. Recurring
 * schedules live in a map of their own, each changed by a compare-and-set on its entry, never under
 * the tasks' lock. Signals are written under it (so a purge removes a run's signals with its last
 * task) and read without it.
 */
public final class InMemoryTaskStore implements TaskStore {
  private static final Comparator<Task> CLAIM_ORDER =
      Comparator.comparingInt(Task::priority)
          .reversed()
          .thenComparing(Task::turn)
          .thenComparing(Task::id);
  private static final Comparator<Task> DUE_ORDER =
      Comparator.comparing(Task::runAt).thenComparing(Task::id);

  private final Object lock = new Object();
  private final Map<UUID, Task> tasks = new ConcurrentHashMap<>();
  private final Map<String, UUID> idempotencyKeys = new HashMap<>();
  private final Map<UUID, List<Attempt>> attempts = new HashMap<>();
  private final Map<UUID, Trail> trails = new HashMap<>();

  /**
   * Every event in the order it was recorded: the event at feed position p is at index {@code p -
   * feedBase - 1}; a purged task's events leave null behind, dropped once they lead the list.
   */
  private final ArrayList<TaskEvent> feed = new ArrayList<>();

  private long feedBase;

  /** A task's events, oldest first, with their feed positions. */
  private static final class Trail {
    final List<TaskEvent> events = new ArrayList<>(4);
    long[] positions = new long[4];

    void add(TaskEvent e, long position) {
      if (events.size() == positions.length) {
        positions = java.util.Arrays.copyOf(positions, positions.length * 2);
      }
      positions[events.size()] = position;
      events.add(e);
    }
  }

  private final Map<UUID, Set<UUID>> childrenOf = new HashMap<>();

  /**
   * Most tasks of full concurrency keys one claim passes over, beyond its limit, before it stops
   * looking (the rest of the queue waits for the next claim).
   */
  private static final int MAX_PASSED_OVER = 1_000;

  /** The claimable QUEUED tasks of each concurrency key, in claim order. */
  private final Map<String, NavigableSet<Task>> queuedOfKey = new HashMap<>();

  /** RUNNING tasks of each concurrency key. */
  private final Map<String, Integer> runningOfKey = new HashMap<>();

  /** Types whose tasks are not claimed until resumed. */
  private final Set<String> pausedTypes = new HashSet<>();

  /** QUEUED tasks that are not paused, by lane, each lane in claim order. */
  private final Map<Lane, NavigableSet<Task>> queued = new HashMap<>();

  /** How many of an owner's tasks wait in {@link #queued} at a priority, and the latest turn. */
  private static final class Backlog {
    int waiting;
    Instant lastTurn;
  }

  private record Owned(Lane lane, int priority, String owner) {
    static Owned of(Task t) {
      return new Owned(Lane.of(t), t.priority(), t.owner());
    }
  }

  /** The backlog of each owner in each lane at each priority, for turns (see {@link #placed}). */
  private final Map<Owned, Backlog> backlogs = new HashMap<>();

  private final NavigableSet<Task> scheduled = new TreeSet<>(DUE_ORDER);
  private final Set<UUID> running = new HashSet<>();

  /** Tasks in each status, by ordinal. */
  private final long[] countOf = new long[TaskStatus.values().length];

  private final Map<String, dev.orchestrator.NodeInfo> nodes = new ConcurrentHashMap<>();

  /** Signals by run, then name; written under the lock, read without it. */
  private final Map<UUID, Map<String, String>> signals = new ConcurrentHashMap<>();

  /** How many tasks each run (root id) has, for its signals to go with the last of them. */
  private final Map<UUID, Integer> tasksOfRun = new HashMap<>();

  /** Recurring schedules by name; each write is a compare-and-set on its entry alone. */
  private final Map<String, Schedule> schedules = new ConcurrentHashMap<>();

  private static final Comparator<Schedule> DUE_SCHEDULES =
      Comparator.comparing(Schedule::nextFire).thenComparing(Schedule::name);

  @Override
  public List<Task> insert(List<Task> newTasks) {
    synchronized (lock) {
      List<Task> result = resolve(newTasks);
      write(newTasks, result);
      return result;
    }
  }

  /**
   * Checks new tasks and finds, for each, the existing task of its idempotency key or itself;
   * writes nothing, so a batch that fails a check leaves no trace. Called under the lock.
   */
  private List<Task> resolve(List<Task> newTasks) {
    Map<String, Task> batchKeys = new HashMap<>();
    List<Task> result = new ArrayList<>(newTasks.size());
    Set<UUID> batchIds = new HashSet<>();
    for (Task t : newTasks) {
      Transitions.checkInitial(t.status());
      if (t.version() != 0) {
        throw new IllegalArgumentException("a new task has version 0: " + t.id());
      }
      if (tasks.containsKey(t.id()) || !batchIds.add(t.id())) {
        throw new IllegalArgumentException("duplicate task id " + t.id());
      }
      String key = keyOf(t);
      Task existing = null;
      if (key != null) {
        UUID existingId = idempotencyKeys.get(key);
        existing = existingId != null ? tasks.get(existingId) : batchKeys.get(key);
      }
      if (existing != null) {
        result.add(existing);
      } else {
        if (key != null) {
          batchKeys.put(key, t);
        }
        result.add(t);
      }
    }
    return result;
  }

  /** Writes the tasks that {@link #resolve} kept, each with its turn, into the result. */
  private void write(List<Task> newTasks, List<Task> result) {
    for (int i = 0; i < newTasks.size(); i++) {
      if (result.get(i) != newTasks.get(i)) {
        continue;
      }
      Task t = placed(newTasks.get(i));
      result.set(i, t);
      tasks.put(t.id(), t);
      tasksOfRun.merge(t.rootId(), 1, Integer::sum);
      index(null, t);
      String key = keyOf(t);
      if (key != null) {
        idempotencyKeys.put(key, t.id());
      }
      for (UUID parent : t.parentIds()) {
        childrenOf.computeIfAbsent(parent, p -> new LinkedHashSet<>()).add(t.id());
      }
      record(TaskEvent.created(t));
    }
  }

  /**
   * The task with its turn (see {@link TaskStore#insert}): after its owner's backlog in its lane at
   * its priority, or else no later than the lane's first waiting task there. Called under the lock.
   */
  private Task placed(Task t) {
    if (t.status() != TaskStatus.QUEUED || t.paused()) {
      return t;
    }
    Backlog backlog = backlogs.get(Owned.of(t));
    if (backlog != null) {
      return t.toBuilder().turn(backlog.lastTurn.plus(TURN_SPACING)).build();
    }
    NavigableSet<Task> lane = queued.get(Lane.of(t));
    Task first = lane == null ? null : lane.ceiling(firstAt(t.priority()));
    return first != null && first.priority() == t.priority() && first.turn().isBefore(t.turn())
        ? t.toBuilder().turn(first.turn()).build()
        : t;
  }

  /** A key that sorts before every task of this priority and after those of higher ones. */
  private static Task firstAt(int priority) {
    return new Task.Builder()
        .id(new UUID(Long.MIN_VALUE, Long.MIN_VALUE))
        .type("")
        .owner("")
        .status(TaskStatus.QUEUED)
        .priority(priority)
        .runAt(Instant.MIN)
        .build();
  }

  private static String keyOf(Task t) {
    return t.idempotencyKey() == null ? null : t.owner() + '\u0000' + t.idempotencyKey();
  }

  @Override
  public Optional<Task> get(UUID id) {
    return Optional.ofNullable(tasks.get(id));
  }

  @Override
  public List<Task> getAll(Collection<UUID> ids) {
    List<Task> found = new ArrayList<>(ids.size());
    for (UUID id : ids) {
      Task t = tasks.get(id);
      if (t != null) {
        found.add(t);
      }
    }
    return found;
  }

  @Override
  public Optional<Task> update(TaskUpdate u) {
    synchronized (lock) {
      Task current = tasks.get(u.expected().id());
      if (current == null
          || current.status() != u.expected().status()
          || current.version() != u.expected().version()) {
        return Optional.empty();
      }
      List<Task> spawned = resolve(u.spawned());
      Task next = u.next().toBuilder().version(current.version() + 1).build();
      replace(current, next);
      if (u.attempt() != null) {
        recordAttempt(u.attempt());
      }
      record(u.event());
      write(u.spawned(), spawned);
      return Optional.of(next);
    }
  }

  /** The updates in order under one hold of the lock, each its own compare-and-set. */
  @Override
  public List<Optional<Task>> updateAll(List<TaskUpdate> updates) {
    synchronized (lock) {
      List<Optional<Task>> results = new ArrayList<>(updates.size());
      for (TaskUpdate u : updates) {
        results.add(update(u));
      }
      return results;
    }
  }

  private void recordAttempt(Attempt a) {
    List<Attempt> list = attempts.computeIfAbsent(a.taskId(), k -> new ArrayList<>());
    for (Attempt existing : list) {
      if (existing.number() == a.number()) {
        throw new IllegalStateException(
            "attempt " + a.number() + " of " + a.taskId() + " already has a record");
      }
    }
    list.add(a);
  }

  @Override
  public List<Task> claim(Collection<UUID> ids, Lease lease) {
    synchronized (lock) {
      List<Task> claimed = new ArrayList<>();
      for (UUID id : ids) {
        Task t = tasks.get(id);
        if (t != null && claimable(t)) {
          claimed.add(claimOne(t, lease));
        }
      }
      return claimed;
    }
  }

  @Override
  public List<Task> claimNext(int limit, Lease lease, Route route) {
    synchronized (lock) {
      List<NavigableSet<Task>> lanes = new ArrayList<>();
      for (String q : route.queues()) {
        for (String type : route.types()) {
          NavigableSet<Task> lane =
              pausedTypes.contains(type) ? null : queued.get(new Lane(q, type));
          if (lane != null) {
            lanes.add(lane);
          }
        }
      }
      // the lanes merged in claim order; a task whose key is full is passed over, not waited on
      List<Iterator<Task>> cursors = new ArrayList<>();
      List<Task> heads = new ArrayList<>();
      for (NavigableSet<Task> lane : lanes) {
        Iterator<Task> cursor = lane.iterator();
        cursors.add(cursor);
        heads.add(cursor.next());
      }
      List<Task> chosen = new ArrayList<>();
      Map<String, Integer> taken = new HashMap<>();
      int looked = 0;
      while (chosen.size() < limit && looked < limit + MAX_PASSED_OVER) {
        int best = -1;
        for (int i = 0; i < heads.size(); i++) {
          if (heads.get(i) != null
              && (best < 0 || CLAIM_ORDER.compare(heads.get(i), heads.get(best)) < 0)) {
            best = i;
          }
        }
        if (best < 0) {
          break;
        }
        Task t = heads.get(best);
        heads.set(best, cursors.get(best).hasNext() ? cursors.get(best).next() : null);
        looked++;
        if (keyHasRoom(t, taken)) {
          chosen.add(t);
          if (t.concurrencyKey() != null) {
            taken.merge(t.concurrencyKey(), 1, Integer::sum);
          }
        }
      }
      List<Task> claimed = new ArrayList<>(chosen.size());
      for (Task t : chosen) {
        claimed.add(claimOne(t, lease));
      }
      return claimed;
    }
  }

  /** QUEUED, not paused, and of a type that is not paused. Called under the lock. */
  private boolean claimable(Task t) {
    return t.status() == TaskStatus.QUEUED
        && !t.paused()
        && !pausedTypes.contains(t.type())
        && keyHasRoom(t, Map.of());
  }

  /**
   * Whether one more task of the task's concurrency key may run, beyond those RUNNING and those
   * {@code taken} by the claim in progress. Called under the lock.
   */
  private boolean keyHasRoom(Task t, Map<String, Integer> taken) {
    String key = t.concurrencyKey();
    return key == null
        || runningOfKey.getOrDefault(key, 0) + taken.getOrDefault(key, 0) < t.concurrencyLimit();
  }

  @Override
  public List<Task> queuedOfKey(String key, int limit) {
    synchronized (lock) {
      NavigableSet<Task> ofKey =
          queuedOfKey.getOrDefault(key, java.util.Collections.emptyNavigableSet());
      return ofKey.stream().limit(limit).toList();
    }
  }

  @Override
  public boolean pauseType(String type) {
    synchronized (lock) {
      return pausedTypes.add(type);
    }
  }

  @Override
  public boolean resumeType(String type) {
    synchronized (lock) {
      return pausedTypes.remove(type);
    }
  }

  @Override
  public Set<String> pausedTypes() {
    synchronized (lock) {
      return Set.copyOf(pausedTypes);
    }
  }

  /** Where a QUEUED task waits: its queue and type. */
  private record Lane(String queue, String type) {
    static Lane of(Task t) {
      return new Lane(t.queue(), t.type());
    }
  }

  private Task claimOne(Task t, Lease lease) {
    Instant start = notBefore(lease.now(), t);
    Task next =
        t.toBuilder()
            .status(TaskStatus.RUNNING)
            .attempt(t.attempt() + 1)
            .startedAt(start)
            .updatedAt(start)
            .leaseOwner(lease.owner())
            .leaseExpiresAt(lease.expiresAt())
            .version(t.version() + 1)
            .build();
    replace(t, next);
    record(TaskEvent.claimed(next));
    return next;
  }

  /** A claimer's or promoter's "now", moved up to the task's last change where it lags behind. */
  private static Instant notBefore(Instant now, Task t) {
    return t.updatedAt() != null && now.isBefore(t.updatedAt()) ? t.updatedAt() : now;
  }

  @Override
  public Set<UUID> renewLeases(String owner, Collection<UUID> ids, Instant expiresAt) {
    synchronized (lock) {
      Set<UUID> lost = new HashSet<>();
      for (UUID id : ids) {
        Task t = tasks.get(id);
        if (t == null || t.status() != TaskStatus.RUNNING || !owner.equals(t.leaseOwner())) {
          lost.add(id);
        } else {
          tasks.put(id, t.toBuilder().leaseExpiresAt(expiresAt).build());
        }
      }
      return lost;
    }
  }

  @Override
  public List<Task> expiredLeases(Instant now, int limit) {
    synchronized (lock) {
      return running.stream()
          .map(tasks::get)
          .filter(t -> t.leaseExpiresAt() != null && t.leaseExpiresAt().isBefore(now))
          .sorted(Comparator.comparing(Task::leaseExpiresAt))
          .limit(limit)
          .toList();
    }
  }

  @Override
  public List<Task> promoteDue(Instant now, int limit) {
    synchronized (lock) {
      List<Task> promoted = new ArrayList<>();
      while (promoted.size() < limit
          && !scheduled.isEmpty()
          && !scheduled.first().runAt().isAfter(now)) {
        Task t = scheduled.first();
        Task next =
            t.toBuilder()
                .status(TaskStatus.QUEUED)
                .updatedAt(notBefore(now, t))
                .version(t.version() + 1)
                .build();
        replace(t, next);
        record(TaskEvent.due(next));
        promoted.add(next);
      }
      return promoted;
    }
  }

  @Override
  public Optional<Instant> nextRunAt() {
    synchronized (lock) {
      return scheduled.isEmpty() ? Optional.empty() : Optional.of(scheduled.first().runAt());
    }
  }

  @Override
  public List<Task> stale(TaskStatus status, Instant before, int limit) {
    return tasks.values().stream()
        .filter(t -> t.status() == status && t.updatedAt().isBefore(before))
        .sorted(Comparator.comparing(Task::updatedAt).thenComparing(Task::id))
        .limit(limit)
        .toList();
  }

  @Override
  public List<Task> pendingChildren(Collection<UUID> parentIds) {
    synchronized (lock) {
      return parentIds.stream()
          .flatMap(p -> childrenOf.getOrDefault(p, Set.of()).stream())
          .distinct()
          .map(tasks::get)
          .filter(t -> t.status() == TaskStatus.PENDING)
          .toList();
    }
  }

  @Override
  public Page<Task> query(TaskQuery q) {
    List<Task> matching =
        tasks.values().stream()
            .filter(q::matches)
            .filter(t -> q.after() == null || t.id().compareTo(q.after()) < 0)
            .sorted(Comparator.comparing(Task::id).reversed())
            .limit(q.limit() + 1L)
            .toList();
    if (matching.size() > q.limit()) {
      List<Task> page = matching.subList(0, q.limit());
      return new Page<>(page, page.get(page.size() - 1).id());
    }
    return new Page<>(matching, null);
  }

  @Override
  public List<Attempt> attempts(UUID taskId) {
    synchronized (lock) {
      return List.copyOf(attempts.getOrDefault(taskId, List.of()));
    }
  }

  @Override
  public void attachLateResult(Attempt late) {
    synchronized (lock) {
      List<Attempt> list = attempts.getOrDefault(late.taskId(), List.of());
      for (int i = 0; i < list.size(); i++) {
        Attempt a = list.get(i);
        if (a.number() == late.number() && a.outcome().keepsLateResult()) {
          list.set(i, a.withLateResult(late));
        }
      }
    }
  }

  @Override
  public List<TaskEvent> events(UUID taskId) {
    synchronized (lock) {
      Trail trail = trails.get(taskId);
      return trail == null ? List.of() : List.copyOf(trail.events);
    }
  }

  @Override
  public FeedPage feed(FeedQuery q) {
    long after = q.after() == null ? 0 : position(q.after());
    synchronized (lock) {
      List<FeedEntry> entries = new ArrayList<>();
      for (long p = Math.max(after, feedBase) + 1; p <= lastPosition(); p++) {
        if (entries.size() == q.limit()) {
          break;
        }
        TaskEvent event = feed.get((int) (p - feedBase - 1));
        if (event == null) {
          continue; // purged
        }
        Task t = tasks.get(event.taskId());
        if ((q.taskId() == null || q.taskId().equals(event.taskId()))
            && (q.rootId() == null || (t != null && q.rootId().equals(t.rootId())))
            && (q.owner() == null || (t != null && q.owner().equals(t.owner())))) {
          entries.add(new FeedEntry(Long.toString(p), event));
        }
      }
      String last =
          entries.isEmpty() ? Long.toString(after) : entries.get(entries.size() - 1).position();
      return new FeedPage(entries, last);
    }
  }

  private static long position(String text) {
    try {
      long p = Long.parseLong(text);
      if (p >= 0) {
        return p;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException("not a feed position of the in-memory store: " + text);
  }

  @Override
  public String feedHead() {
    synchronized (lock) {
      return Long.toString(lastPosition());
    }
  }

  @Override
  public List<dev.orchestrator.Activity> activity(Instant since, String owner) {
    record Key(Instant minute, TaskStatus status, String model) {}
    Map<Key, dev.orchestrator.Activity> rows =
        new java.util.TreeMap<>(
            Comparator.comparing(Key::minute)
                .thenComparing(Key::status)
                .thenComparing(Key::model, Comparator.nullsFirst(Comparator.naturalOrder())));
    for (Task t : tasks.values()) {
      if ((t.status() == TaskStatus.COMPLETED || t.status() == TaskStatus.FAILED)
          && !t.updatedAt().isBefore(since)
          && (owner == null || owner.equals(t.owner()))) {
        Key k =
            new Key(
                t.updatedAt().truncatedTo(java.time.temporal.ChronoUnit.MINUTES),
                t.status(),
                t.model());
        dev.orchestrator.Activity a = rows.get(k);
        rows.put(
            k,
            new dev.orchestrator.Activity(
                k.minute(),
                k.status(),
                k.model(),
                (a == null ? 0 : a.tasks()) + 1,
                (a == null ? 0 : a.inputTokens()) + t.usage().inputTokens(),
                (a == null ? 0 : a.outputTokens()) + t.usage().outputTokens(),
                (a == null ? java.math.BigDecimal.ZERO : a.cost()).add(t.usage().cost())));
      }
    }
    return List.copyOf(rows.values());
  }

  @Override
  public boolean saveSignal(UUID runId, String name, String payload, Instant at) {
    java.util.Objects.requireNonNull(payload, "payload");
    synchronized (lock) {
      return signals
              .computeIfAbsent(runId, r -> new ConcurrentHashMap<>())
              .putIfAbsent(name, payload)
          == null;
    }
  }

  @Override
  public Optional<String> signal(UUID runId, String name) {
    Map<String, String> ofRun = signals.get(runId);
    return ofRun == null ? Optional.empty() : Optional.ofNullable(ofRun.get(name));
  }

  @Override
  public void recordNode(String nodeId, Instant startedAt, Instant now, int running) {
    nodes.put(nodeId, new dev.orchestrator.NodeInfo(nodeId, startedAt, now, running));
  }

  @Override
  public void forgetNode(String nodeId) {
    nodes.remove(nodeId);
  }

  @Override
  public List<dev.orchestrator.NodeInfo> nodes(Instant seenSince) {
    return nodes.values().stream()
        .filter(n -> !n.lastSeen().isBefore(seenSince))
        .sorted(Comparator.comparing(dev.orchestrator.NodeInfo::nodeId))
        .toList();
  }

  // ---- recurring schedules: a map of their own, never under the tasks' lock ----

  @Override
  public Optional<Schedule> saveSchedule(Schedule schedule) {
    Schedule[] stored = new Schedule[1];
    schedules.compute(
        schedule.name(),
        (name, current) -> {
          long version = current == null ? 0 : current.version();
          if (version != schedule.version()) {
            return current;
          }
          stored[0] = schedule.withVersion(version + 1);
          return stored[0];
        });
    return Optional.ofNullable(stored[0]);
  }

  @Override
  public Optional<Schedule> schedule(String name) {
    return Optional.ofNullable(schedules.get(name));
  }

  @Override
  public List<Schedule> schedules() {
    return schedules.values().stream().sorted(Comparator.comparing(Schedule::name)).toList();
  }

  @Override
  public boolean deleteSchedule(String name) {
    return schedules.remove(name) != null;
  }

  @Override
  public Optional<Schedule> advanceSchedule(
      String name, long expectedVersion, Instant since, Instant nextFire, Instant now) {
    Schedule[] stored = new Schedule[1];
    schedules.computeIfPresent(
        name,
        (n, current) -> {
          if (current.version() != expectedVersion) {
            return current;
          }
          stored[0] = current.advancedTo(since, nextFire, now).withVersion(current.version() + 1);
          return stored[0];
        });
    return Optional.ofNullable(stored[0]);
  }

  @Override
  public List<Schedule> dueSchedules(Instant until, int limit) {
    return schedules.values().stream()
        .filter(s -> !s.nextFire().isAfter(until))
        .sorted(DUE_SCHEDULES)
        .limit(limit)
        .toList();
  }

  @Override
  public void appendEvent(TaskEvent note) {
    synchronized (lock) {
      if (tasks.containsKey(note.taskId())) {
        record(note);
      }
    }
  }

  @Override
  public List<Lineage.Edge> lineage(UUID taskId) {
    synchronized (lock) {
      Set<UUID> seen = new HashSet<>();
      Set<Lineage.Edge> edges = new LinkedHashSet<>();
      Deque<UUID> todo = new ArrayDeque<>();
      todo.add(taskId);
      while (!todo.isEmpty()) {
        UUID id = todo.poll();
        if (!seen.add(id)) {
          continue;
        }
        Task t = tasks.get(id);
        if (t != null) {
          for (UUID parent : t.parentIds()) {
            edges.add(new Lineage.Edge(parent, id));
            todo.add(parent);
          }
        }
        for (UUID child : childrenOf.getOrDefault(id, Set.of())) {
          edges.add(new Lineage.Edge(id, child));
          todo.add(child);
        }
      }
      return List.copyOf(edges);
    }
  }

  @Override
  public long purgeTerminal(Instant cutoff, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be positive: " + batchSize);
    }
    long purged = 0;
    List<Task> batch;
    do {
      synchronized (lock) {
        batch =
            tasks.values().stream()
                .filter(t -> t.status().isTerminal() && t.updatedAt().isBefore(cutoff))
                .limit(batchSize)
                .toList();
        for (Task t : batch) {
          tasks.remove(t.id());
          countOf[t.status().ordinal()]--;
          String key = keyOf(t);
          if (key != null) {
            idempotencyKeys.remove(key);
          }
          attempts.remove(t.id());
          Trail trail = trails.remove(t.id());
          if (trail != null) {
            for (int i = 0; i < trail.events.size(); i++) {
              feed.set((int) (trail.positions[i] - feedBase - 1), null);
            }
          }
          if (tasksOfRun.merge(t.rootId(), -1, Integer::sum) == 0) {
            tasksOfRun.remove(t.rootId());
            signals.remove(t.rootId()); // the run's last task: its signals go with it
          }
          childrenOf.remove(t.id());
          for (UUID parent : t.parentIds()) {
            Set<UUID> siblings = childrenOf.get(parent);
            if (siblings != null) {
              siblings.remove(t.id());
            }
          }
        }
        dropPurgedHead();
      }
      purged += batch.size();
    } while (batch.size() == batchSize);
    return purged;
  }

  @Override
  public Map<TaskStatus, Long> countByStatus(String owner) {
    Map<TaskStatus, Long> counts = new java.util.EnumMap<>(TaskStatus.class);
    if (owner == null) {
      synchronized (lock) {
        for (TaskStatus status : TaskStatus.values()) {
          if (countOf[status.ordinal()] > 0) {
            counts.put(status, countOf[status.ordinal()]);
          }
        }
      }
      return counts;
    }
    for (Task t : tasks.values()) {
      if (owner == null || owner.equals(t.owner())) {
        counts.merge(t.status(), 1L, Long::sum);
      }
    }
    return counts;
  }

  @Override
  public List<UsageTotal> usageTotals(String owner) {
    synchronized (lock) {
      Map<List<String>, UsageTotal> totals = new java.util.LinkedHashMap<>();
      attempts.forEach(
          (taskId, list) -> {
            String taskOwner = tasks.get(taskId).owner();
            if (owner != null && !owner.equals(taskOwner)) {
              return;
            }
            for (Attempt a : list) {
              totals.merge(
                  java.util.Arrays.asList(taskOwner, a.model()),
                  new UsageTotal(
                      taskOwner,
                      a.model(),
                      1,
                      a.usage().inputTokens(),
                      a.usage().outputTokens(),
                      a.usage().cost()),
                  (x, y) ->
                      new UsageTotal(
                          x.owner(),
                          x.model(),
                          x.attempts() + y.attempts(),
                          x.inputTokens() + y.inputTokens(),
                          x.outputTokens() + y.outputTokens(),
                          x.cost().add(y.cost())));
            }
          });
      return List.copyOf(totals.values());
    }
  }

  /** Keeps an event in its task's trail and in the feed (under the lock). */
  private void record(TaskEvent e) {
    feed.add(e);
    trails.computeIfAbsent(e.taskId(), k -> new Trail()).add(e, lastPosition());
  }

  /** The position of the newest event recorded (under the lock). */
  private long lastPosition() {
    return feedBase + feed.size();
  }

  /** Drops the purged events that lead the feed once they are most of it (under the lock). */
  private void dropPurgedHead() {
    int leading = 0;
    while (leading < feed.size() && feed.get(leading) == null) {
      leading++;
    }
    if (leading > 0 && leading >= feed.size() / 2) {
      feed.subList(0, leading).clear();
      feedBase += leading;
    }
  }

  private void replace(Task previous, Task next) {
    tasks.put(next.id(), next);
    index(previous, next);
  }

  /** Keeps the status indexes in step with the task map. Called under the lock. */
  private void index(Task previous, Task next) {
    if (previous != null) {
      countOf[previous.status().ordinal()]--;
      switch (previous.status()) {
        case QUEUED -> {
          NavigableSet<Task> lane = queued.get(Lane.of(previous));
          if (lane != null && lane.remove(previous)) {
            if (lane.isEmpty()) {
              queued.remove(Lane.of(previous));
            }
            Owned owned = Owned.of(previous);
            Backlog backlog = backlogs.get(owned);
            if (backlog != null && --backlog.waiting == 0) {
              backlogs.remove(owned);
            }
          }
          String key = previous.concurrencyKey();
          NavigableSet<Task> ofKey = key == null ? null : queuedOfKey.get(key);
          if (ofKey != null && ofKey.remove(previous) && ofKey.isEmpty()) {
            queuedOfKey.remove(key);
          }
        }
        case SCHEDULED -> scheduled.remove(previous);
        case RUNNING -> {
          running.remove(previous.id());
          if (previous.concurrencyKey() != null) {
            runningOfKey.merge(previous.concurrencyKey(), -1, (a, b) -> a + b == 0 ? null : a + b);
          }
        }
        default -> {}
      }
    }
    countOf[next.status().ordinal()]++;
    switch (next.status()) {
      case QUEUED -> {
        if (!next.paused()
            && queued.computeIfAbsent(Lane.of(next), l -> new TreeSet<>(CLAIM_ORDER)).add(next)) {
          Backlog backlog = backlogs.computeIfAbsent(Owned.of(next), o -> new Backlog());
          backlog.waiting++;
          if (backlog.lastTurn == null || next.turn().isAfter(backlog.lastTurn)) {
            backlog.lastTurn = next.turn();
          }
          if (next.concurrencyKey() != null) {
            queuedOfKey
                .computeIfAbsent(next.concurrencyKey(), k -> new TreeSet<>(CLAIM_ORDER))
                .add(next);
          }
        }
      }
      case SCHEDULED -> scheduled.add(next);
      case RUNNING -> {
        running.add(next.id());
        if (next.concurrencyKey() != null) {
          runningOfKey.merge(next.concurrencyKey(), 1, Integer::sum);
        }
      }
      default -> {}
    }
  }
}
