package dev.orchestrator;

import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.IllegalTransitionException;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.lifecycle.Transitions;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.llm.LlmResponse;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.llm.PriceTable;
import dev.orchestrator.memory.InMemoryEventBus;
import dev.orchestrator.memory.InMemoryTaskQueue;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.metrics.MetricsRecorder;
import dev.orchestrator.retry.ErrorClassifier;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.runtime.EventSequencer;
import dev.orchestrator.runtime.Ids;
import dev.orchestrator.runtime.Limits;
import dev.orchestrator.runtime.Node;
import dev.orchestrator.runtime.RuntimeSettings;
import dev.orchestrator.runtime.ScheduleLoop;
import dev.orchestrator.runtime.TaskFactory;
import dev.orchestrator.runtime.Transitioner;
import dev.orchestrator.schedule.InvalidScheduleException;
import dev.orchestrator.schedule.MisfirePolicy;
import dev.orchestrator.schedule.Recurrence;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spi.Clock;
import dev.orchestrator.spi.EventBus;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.LlmClient;
import dev.orchestrator.spi.RateLimiter;
import dev.orchestrator.spi.Route;
import dev.orchestrator.spi.TaskHandler;
import dev.orchestrator.spi.TaskListener;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spi.TaskUpdate;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The library's front door: submit, inspect, cancel and retry durable tasks, and run them on this
 * node's workers. Thread-safe. Many instances (in one JVM or many) sharing one store form a
 * cluster.
 *
 * <pre>{@code
 * try (Orchestrator orchestrator = Orchestrator.builder().workers(8).build().start()) {
 *   Task task = orchestrator.submit(TaskSpec.prompt("Summarise: ...").build());
 *   Task done = orchestrator.await(task.id()).get(1, TimeUnit.MINUTES);
 * }
 * }</pre>
 *
 * Without any option it runs on the embedded defaults: in-memory store, queue and event bus, and
 * the deterministic {@link MockLlmClient}.
 */
public final class Orchestrator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Orchestrator.class);

  /** How long a listener's event that came early waits for its predecessor before the store. */
  private static final Duration LISTENER_HOLD = Duration.ofMillis(100);

  private final TaskStore store;
  private final EventBus bus;
  private final Clock clock;
  private final Transitioner transitioner;
  private final TaskFactory factory;
  private final Map<String, String> templates;
  private final Duration heartbeatInterval;
  private final Node node;
  private final ScheduleLoop schedules;
  private final String nodeId;
  private final int batchSize;
  private final List<TaskListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<UUID, List<CompletableFuture<Task>>> waiters = new ConcurrentHashMap<>();
  private final EventSequencer sequencer;
  private final AutoCloseable subscription;
  private final ScheduledExecutorService awaitSweeper;
  private final Object lifecycleLock = new Object();
  private boolean started;
  private boolean closed;

  private Orchestrator(Builder b) {
    this.store = b.store;
    this.bus = b.bus;
    this.clock = b.clock;
    this.nodeId = b.settings().nodeId();
    RuntimeSettings settings = b.settings();
    this.batchSize = settings.batchSize();
    this.heartbeatInterval = settings.heartbeatInterval();
    this.transitioner =
        new Transitioner(b.store, b.queue, b.bus, b.clock, b.metrics, settings.defaultRetry());
    Map<String, TaskHandler> handlers = new HashMap<>(b.handlers);
    handlers.putIfAbsent(Task.LLM_TYPE, Orchestrator::callLlm);
    Set<String> submittable = new java.util.HashSet<>(handlers.keySet());
    submittable.addAll(b.remoteTypes);
    this.factory = new TaskFactory(b.limits, b.templates, submittable, settings);
    this.templates =
        java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(b.templates));
    this.schedules =
        new ScheduleLoop(b.store, b.clock, settings, spec -> submitAll(List.of(spec), null).get(0));
    this.node =
        new Node(
            settings,
            new Node.Parts(
                b.store,
                b.queue,
                b.bus,
                transitioner,
                b.llm,
                b.rateLimiter,
                b.startLimiter,
                b.prices,
                b.metrics,
                b.classifier,
                handlers,
                schedules,
                factory));
    this.listeners.addAll(b.listeners);
    this.sequencer = new EventSequencer(b.store, this::notifyListeners, LISTENER_HOLD, nodeId);
    this.subscription = bus.subscribe(this::onEvent);
    this.awaitSweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "orchestrator-await-" + nodeId);
              t.setDaemon(true);
              return t;
            });
    long sweepMillis = settings.pollInterval().toMillis();
    awaitSweeper.scheduleWithFixedDelay(
        () -> {
          try {
            sweepWaiters();
          } catch (RuntimeException e) {
            log.warn("checking awaited tasks failed", e);
          }
        },
        sweepMillis,
        sweepMillis,
        TimeUnit.MILLISECONDS);
  }

  /** The default handler: one LLM call with the task's prompt, model and options. */
  private static HandlerResult callLlm(dev.orchestrator.spi.TaskContext context) throws Exception {
    Task t = context.task();
    LlmRequest request =
        new LlmRequest(
            t.model(),
            t.options().systemPrompt(),
            context.prompt(),
            t.options().temperature(),
            t.options().maxOutputTokens());
    LlmResponse r = t.options().stream() ? context.streamLlm(request) : context.callLlm(request);
    return new HandlerResult(r.text(), r.model(), Usage.NONE);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts this node's workers, scheduler, recurring schedules and maintenance. Submitting works
   * before start too.
   */
  public Orchestrator start() {
    synchronized (lifecycleLock) {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (!started) {
        node.start();
        started = true;
        log.info("orchestrator node {} started", nodeId);
      }
    }
    return this;
  }

  /** Attempts running on this node now (a health signal: 0 when not started). */
  public int runningCount() {
    return node.runningCount();
  }

  /** This node's name in leases and attempt records. */
  public String nodeId() {
    return nodeId;
  }

  // ---- submit ----

  /**
   * Submits one task.
   *
   * @throws InvalidTaskException for bad input; nothing is written
   */
  public Task submit(TaskSpec spec) {
    return submitAll(List.of(spec), null).get(0);
  }

  /**
   * Submits a batch atomically: every task is written, or none (any invalid spec refuses the whole
   * batch with an {@link InvalidTaskException} naming its index).
   */
  public List<Task> submitAll(List<TaskSpec> specs) {
    return submitAll(specs, null);
  }

  List<Task> submitAll(List<TaskSpec> specs, String owner) {
    factory.checkBatch(specs.size());
    Set<UUID> parentIds = new LinkedHashSet<>();
    specs.forEach(s -> parentIds.addAll(s.dependsOn()));
    Map<UUID, Task> parents = new HashMap<>();
    for (Task p : store.getAll(parentIds)) {
      parents.put(p.id(), p);
    }
    Instant now = clock.now();
    List<Task> tasks = new ArrayList<>(specs.size());
    for (int i = 0; i < specs.size(); i++) {
      TaskSpec spec = Objects.requireNonNull(specs.get(i), "spec");
      try {
        List<Task> own = new ArrayList<>();
        for (UUID pid : spec.dependsOn()) {
          Task p = parents.get(pid);
          if (p == null || !visible(p, owner(spec, owner))) {
            throw new InvalidTaskException(Problem.UNKNOWN_PARENT, "no parent task " + pid);
          }
          own.add(p);
        }
        tasks.add(factory.create(spec, own, false, owner, now));
      } catch (InvalidTaskException e) {
        throw specs.size() == 1 ? e : e.at(i);
      }
    }
    return persist(tasks);
  }

  private static String owner(TaskSpec spec, String scope) {
    return scope != null ? scope : spec.owner() != null ? spec.owner() : Task.DEFAULT_OWNER;
  }

  private List<Task> persist(List<Task> tasks) {
    List<Task> stored = store.insert(tasks);
    List<Task> inserted = new ArrayList<>(stored.size());
    for (int i = 0; i < stored.size(); i++) {
      // a different id is the existing task of a repeated idempotency key
      if (stored.get(i).id().equals(tasks.get(i).id())) {
        inserted.add(stored.get(i));
      }
    }
    transitioner.inserted(inserted);
    return stored;
  }

  /**
   * Submits a task chained from a COMPLETED parent. Its prompt may use {@code {{parent.output}}},
   * {@code {{parent.prompt}}} and {@code {{parent.name}}}; with no prompt the parent's output is
   * the prompt.
   *
   * @throws InvalidTaskException UNKNOWN_PARENT or PARENT_NOT_COMPLETED, or any bad input
   */
  public Task chain(UUID parentId, TaskSpec spec) {
    return chain(parentId, spec, null);
  }

  Task chain(UUID parentId, TaskSpec spec, String owner) {
    if (!spec.dependsOn().isEmpty()) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "chain() takes its parent, not dependsOn");
    }
    Task parent =
        store
            .get(parentId)
            .filter(p -> visible(p, owner))
            .orElseThrow(
                () ->
                    new InvalidTaskException(Problem.UNKNOWN_PARENT, "no parent task " + parentId));
    if (parent.status() != TaskStatus.COMPLETED) {
      throw new InvalidTaskException(
          Problem.PARENT_NOT_COMPLETED,
          "parent " + parentId + " is " + parent.status() + "; chain() needs it COMPLETED");
    }
    return persist(List.of(factory.create(spec, List.of(parent), true, owner, clock.now()))).get(0);
  }

  // ---- read ----

  public Optional<Task> get(UUID id) {
    return get(id, null);
  }

  Optional<Task> get(UUID id, String owner) {
    return store.get(id).filter(t -> visible(t, owner));
  }

  /** The task, or {@link TaskNotFoundException}. */
  public Task task(UUID id) {
    return task(id, null);
  }

  Task task(UUID id, String owner) {
    return get(id, owner).orElseThrow(() -> new TaskNotFoundException(id));
  }

  /** A page of tasks, newest first; see {@link TaskQuery}. */
  public Page<Task> list(TaskQuery query) {
    return store.query(query);
  }

  /** Attempt records of a task, by number. */
  public List<Attempt> attempts(UUID id) {
    return attempts(id, null);
  }

  List<Attempt> attempts(UUID id, String owner) {
    task(id, owner);
    return store.attempts(id);
  }

  /** Events of a task, oldest first: its audit trail. */
  public List<TaskEvent> events(UUID id) {
    return events(id, null);
  }

  List<TaskEvent> events(UUID id, String owner) {
    task(id, owner);
    return store.events(id);
  }

  /**
   * A page of every task's events in the order they became visible, after a position: resume after
   * the last entry's position (for example a server-sent event's id) and no event is missed or read
   * twice, whichever node wrote it.
   *
   * @throws IllegalArgumentException when the position is not one of this store's
   */
  public FeedPage feed(FeedQuery query) {
    return store.feed(query);
  }

  /** The position of the newest event in the feed: read the feed after it for what comes next. */
  public String feedHead() {
    return store.feedHead();
  }

  /**
   * The whole graph the task belongs to: its ancestors and descendants by id, with the edges by
   * child id, then parent id (the same order on every store).
   */
  public Lineage lineage(UUID id) {
    return lineage(id, null);
  }

  Lineage lineage(UUID id, String owner) {
    Task task = task(id, owner);
    List<Lineage.Edge> edges =
        store.lineage(id).stream()
            .sorted(
                java.util.Comparator.comparing(Lineage.Edge::childId)
                    .thenComparing(Lineage.Edge::parentId))
            .toList();
    Set<UUID> ids = new LinkedHashSet<>();
    ids.add(task.id());
    edges.forEach(
        e -> {
          ids.add(e.parentId());
          ids.add(e.childId());
        });
    List<Task> tasks =
        store.getAll(ids).stream()
            .filter(t -> visible(t, owner))
            .sorted(java.util.Comparator.comparing(Task::id))
            .toList();
    return new Lineage(tasks, edges);
  }

  TaskStore store() {
    return store;
  }

  /** The clock this orchestrator stamps every time with ({@link Builder#clock}). */
  public Clock clock() {
    return clock;
  }

  /**
   * Deletes COMPLETED, FAILED and CANCELLED tasks that ended more than {@code olderThan} ago, with
   * their attempts and events, in bounded batches. {@link Builder#retention(Duration)} runs it on a
   * schedule.
   *
   * @return how many tasks were deleted
   */
  public long purge(Duration olderThan) {
    return store.purgeTerminal(clock.now().minus(olderThan), batchSize);
  }

  /** Tokens and cost by owner and model, from every attempt record. */
  public List<UsageTotal> usage() {
    return store.usageTotals(null);
  }

  // ---- change ----

  /** Cancels a task; see {@link #cancel(UUID, String)}. */
  public Task cancel(UUID id) {
    return cancel(id, "cancelled by caller", null);
  }

  /**
   * Cancels a PENDING, SCHEDULED, QUEUED or RUNNING task. A running attempt is interrupted (on this
   * node at once, on others through the event bus or at their next heartbeat) and its late output,
   * if any, is kept only on its attempt record. PENDING children are cancelled too.
   *
   * @return the task after the call: CANCELLED, or unchanged when it was already terminal
   */
  public Task cancel(UUID id, String reason) {
    return cancel(id, reason, null);
  }

  Task cancel(UUID id, String reason, String owner) {
    return transitioner.cancel(task(id, owner), reason == null ? "cancelled" : reason);
  }

  /**
   * Reopens a FAILED or CANCELLED task with a new budget of {@code attempts} more attempts.
   *
   * @throws IllegalTransitionException when the task is in another status
   */
  public Task retry(UUID id, int attempts) {
    return retry(id, attempts, null);
  }

  Task retry(UUID id, int attempts, String owner) {
    checkRetryBudget(attempts);
    while (true) {
      Optional<Task> done = retryOnce(task(id, owner), attempts);
      if (done.isPresent()) {
        return done.get();
      }
    }
  }

  private static void checkRetryBudget(int attempts) {
    if (attempts < 1) {
      throw new InvalidTaskException(Problem.BAD_RETRY, "a retry needs at least one attempt");
    }
  }

  /**
   * One compare-and-set of a retry from the task as read.
   *
   * @return the reopened task, or empty when another writer changed the task first
   * @throws IllegalTransitionException when the task is neither FAILED nor CANCELLED
   * @throws InvalidTaskException PARENT_NOT_COMPLETED when a parent has not completed
   */
  private Optional<Task> retryOnce(Task t, int attempts) {
    if (t.status() != TaskStatus.FAILED && t.status() != TaskStatus.CANCELLED) {
      throw new IllegalTransitionException(t.status(), TaskStatus.QUEUED);
    }
    List<Task> parents = store.getAll(t.parentIds());
    if (parents.stream().anyMatch(p -> p.status() != TaskStatus.COMPLETED)) {
      throw new InvalidTaskException(
          Problem.PARENT_NOT_COMPLETED, "a parent of " + t.id() + " has not completed");
    }
    Instant now = clock.now();
    Task next =
        t.toBuilder()
            .status(TaskStatus.QUEUED)
            .maxAttempts(t.attempt() + attempts)
            .runAt(now)
            .updatedAt(now)
            .finishedAt(null)
            .error(null)
            .awaiting(null)
            .build();
    return transitioner.apply(
        new TaskUpdate(t, next, null, "retry with " + attempts + " more attempt(s)"));
  }

  // ---- signals ----

  /**
   * Sends a signal to a run (a task and the tasks chained, continued or spawned from it: its id is
   * their {@link Task#rootId}), durably, and wakes at once every task of the run that waits for a
   * signal of this name ({@link HandlerResult#awaitSignal}): a SCHEDULED task whose {@link
   * Task#awaiting} is the name moves to QUEUED by a compare-and-set, with its event, as any other
   * change. The first signal of a name for a run wins; its payload is what {@link
   * dev.orchestrator.spi.TaskContext#signal} reads. A signal that comes before its wait is kept:
   * the step finds it when it looks, and a wait for it that is being written as the signal comes is
   * woken by the node that writes it. Sending a name again stores nothing new but wakes any task of
   * the run still waiting for it, so a caller that failed midway may simply call again.
   *
   * @param runId the id of the run's root task
   * @param name the signal's name: not blank, at most 200 characters
   * @param payload its content (null is the empty string): at most as long as a prompt may be
   * @return true when this call stored the signal, false when the run had one of that name already
   * @throws InvalidTaskException before anything is written: UNKNOWN_RUN when no task of the run
   *     exists or {@code runId} is not a root's id, BAD_FIELD for a bad name or payload (blank, too
   *     long, U+0000 or an unpaired surrogate)
   */
  public boolean signal(UUID runId, String name, String payload) {
    return signal(runId, name, payload, null);
  }

  boolean signal(UUID runId, String name, String payload, String owner) {
    factory.checkSignal(name, payload);
    checkRun(runId, owner);
    boolean stored = store.saveSignal(runId, name, payload == null ? "" : payload, clock.now());
    TaskQuery waiting =
        TaskQuery.builder()
            .root(runId)
            .owner(owner)
            .status(TaskStatus.SCHEDULED)
            .limit(Math.min(batchSize, TaskQuery.MAX_LIMIT))
            .build();
    forEachPage(
        waiting,
        page -> {
          for (Task t : page) {
            if (name.equals(t.awaiting())) {
              transitioner.wake(t, name);
            }
          }
        });
    return stored;
  }

  /** Refuses a run id that names no run the owner (null: any) sees. */
  private void checkRun(UUID runId, String owner) {
    if (runId == null) {
      throw new InvalidTaskException(Problem.UNKNOWN_RUN, "a signal needs a run id");
    }
    Optional<Task> root = get(runId, owner);
    if (root.isPresent() && !root.get().rootId().equals(runId)) {
      throw new InvalidTaskException(
          Problem.UNKNOWN_RUN,
          "task " + runId + " is not the root of a run; its run is " + root.get().rootId());
    }
    if (root.isEmpty() // its root may have been purged while the run goes on
        && store
            .query(TaskQuery.builder().root(runId).owner(owner).limit(1).build())
            .items()
            .isEmpty()) {
      throw new InvalidTaskException(Problem.UNKNOWN_RUN, "no run " + runId);
    }
  }

  // ---- pause ----

  /**
   * Pauses a live task: from this call's return it is not claimed until {@link #resume}. A PENDING,
   * SCHEDULED or QUEUED task keeps its status and place (its due time passes, its parents may
   * complete, but no attempt starts); a RUNNING task's attempt goes on, and ends as usual: if it is
   * retried, the next attempt waits for the resume. Pausing a paused task changes nothing.
   *
   * @return the task after the call
   * @throws IllegalTransitionException when the task is COMPLETED, FAILED or CANCELLED
   */
  public Task pause(UUID id) {
    return setPaused(id, true, null);
  }

  /**
   * Resumes a paused task where it was: a QUEUED one is offered to the workers at once, in its
   * place by priority and due time. Resuming a task that is not paused changes nothing.
   *
   * @return the task after the call
   * @throws IllegalTransitionException when the task is COMPLETED, FAILED or CANCELLED
   */
  public Task resume(UUID id) {
    return setPaused(id, false, null);
  }

  Task setPaused(UUID id, boolean paused, String owner) {
    while (true) {
      Task t = task(id, owner);
      if (t.paused() == paused && Transitions.isPausable(t.status())) {
        return t;
      }
      Optional<Task> done = transitioner.pauseOnce(t, paused);
      if (done.isPresent()) {
        return done.get();
      }
    }
  }

  /**
   * Pauses every live task the query matches, as {@link #pause} pauses one (visited as {@link
   * #cancelAll} does); terminal and already paused tasks are skipped. {@code
   * pauseAll(TaskQuery.builder().root(rootId).build())} pauses a whole chain or DAG: nothing of it
   * starts until it is resumed.
   */
  public BulkResult pauseAll(TaskQuery query) {
    return pauseAll(query, true, null);
  }

  /** Resumes every paused task the query matches; see {@link #pauseAll}. */
  public BulkResult resumeAll(TaskQuery query) {
    return pauseAll(query, false, null);
  }

  BulkResult pauseAll(TaskQuery query, boolean paused, String owner) {
    return changeAll(query, owner, t -> transitioner.pauseOnce(t, paused));
  }

  /**
   * Pauses a task type across the cluster: from this call's return no node claims a task of the
   * type until {@link #resumeType}. Its tasks keep their status (so a type holding many queued
   * tasks is paused in one write); running attempts finish; retries wait. Durable.
   *
   * @return false when the type was paused already
   */
  public boolean pauseType(String type) {
    return store.pauseType(checkedType(type));
  }

  /**
   * Lets a paused type's tasks be claimed again, and offers its QUEUED tasks to the workers.
   *
   * @return false when the type was not paused
   */
  public boolean resumeType(String type) {
    boolean resumed = store.resumeType(checkedType(type));
    TaskQuery queued =
        TaskQuery.builder()
            .type(type)
            .status(TaskStatus.QUEUED)
            .limit(Math.min(batchSize, TaskQuery.MAX_LIMIT))
            .build();
    forEachPage(queued, transitioner::offer);
    return resumed;
  }

  /** Hands every page of the query's tasks, in keyset order, to {@code each}. */
  private void forEachPage(TaskQuery query, java.util.function.Consumer<List<Task>> each) {
    UUID cursor = null;
    do {
      Page<Task> page = store.query(query.after(cursor));
      each.accept(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
  }

  /** The task types paused now, cluster-wide. */
  public Set<String> pausedTypes() {
    return store.pausedTypes();
  }

  private static String checkedType(String type) {
    if (type == null || type.isBlank()) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "a type to pause must not be blank");
    }
    return type;
  }

  // ---- change many ----

  /**
   * Cancels every task the query matches, as {@link #cancel(UUID, String)} cancels one: the same
   * compare-and-set, events and consequences (a running attempt is interrupted, PENDING children
   * are cancelled). The query's limit and cursor are ignored: every matching task is visited,
   * newest first, in keyset pages of the {@linkplain Builder#batchSize(int) batch size}, so memory
   * stays bounded however many match. A task that is already finished, or that changed meanwhile
   * and no longer matches, is skipped. Tasks created after the call started may be left out.
   *
   * <p>Not atomic: should the store fail midway, the tasks changed so far stay changed, and calling
   * again carries on with the rest.
   *
   * @param reason the reason recorded on each task (null: "cancelled in bulk")
   */
  public BulkResult cancelAll(TaskQuery query, String reason) {
    return cancelAll(query, reason, null);
  }

  BulkResult cancelAll(TaskQuery query, String reason, String owner) {
    String why = reason == null ? "cancelled in bulk" : reason;
    return changeAll(query, owner, t -> transitioner.cancelOnce(t, why));
  }

  /**
   * Reopens every FAILED or CANCELLED task the query matches with a new budget of {@code attempts}
   * more attempts, as {@link #retry(UUID, int)} reopens one; tasks in another status, or whose
   * parents have not all completed, are skipped. Visits the tasks as {@link #cancelAll} does.
   *
   * @throws InvalidTaskException BAD_RETRY when {@code attempts} is not positive; nothing changes
   */
  public BulkResult retryAll(TaskQuery query, int attempts) {
    return retryAll(query, attempts, null);
  }

  BulkResult retryAll(TaskQuery query, int attempts, String owner) {
    checkRetryBudget(attempts);
    return changeAll(query, owner, t -> retryOnce(t, attempts));
  }

  /**
   * One try of a single-task change on a task as last read, the one its single-task method loops
   * on: the stored result when its compare-and-set won, empty when another writer changed the task
   * first. A change that does not apply to the task's status throws {@link
   * IllegalTransitionException} (or {@link InvalidTaskException} PARENT_NOT_COMPLETED).
   */
  @FunctionalInterface
  private interface Change {
    Optional<Task> tryOn(Task current);
  }

  /** Applies a change to every task the query matches (of the owner, when not null). */
  private BulkResult changeAll(TaskQuery query, String owner, Change change) {
    Objects.requireNonNull(query, "query");
    TaskQuery matching = owner == null ? query : query.withOwner(owner);
    TaskQuery page = matching.withLimit(Math.min(batchSize, TaskQuery.MAX_LIMIT)).after(null);
    int matched = 0;
    int changed = 0;
    UUID cursor = null;
    do {
      Page<Task> tasks = store.query(page.after(cursor));
      for (Task t : tasks.items()) {
        matched++;
        if (changeOne(t, matching, change)) {
          changed++;
        }
      }
      cursor = tasks.nextCursor();
    } while (cursor != null);
    return new BulkResult(matched, changed, matched - changed);
  }

  /**
   * Tries the change on a task until it wins, or the task no longer matches the query or no longer
   * allows the change (another writer got there first).
   *
   * @return whether this call changed the task
   */
  private boolean changeOne(Task read, TaskQuery matching, Change change) {
    Task current = read;
    while (true) {
      try {
        if (change.tryOn(current).isPresent()) {
          return true;
        }
      } catch (IllegalTransitionException e) {
        return false;
      } catch (InvalidTaskException e) {
        if (e.problem() != Problem.PARENT_NOT_COMPLETED) {
          throw e; // the input, not this task: refused on the first task, before any change
        }
        return false;
      }
      Optional<Task> reread = store.get(current.id());
      if (reread.isEmpty() || !matching.matches(reread.get())) {
        return false;
      }
      current = reread.get();
    }
  }

  // ---- watch ----

  /**
   * A future completed with the task when it reaches COMPLETED, FAILED or CANCELLED, wherever it
   * runs (events complete it at once; a check of the store every poll interval catches tasks that
   * ended on nodes this node's event bus does not hear). It fails if this orchestrator is closed
   * first.
   */
  public CompletableFuture<Task> await(UUID id) {
    return await(id, null);
  }

  CompletableFuture<Task> await(UUID id, String owner) {
    task(id, owner);
    CompletableFuture<Task> future = new CompletableFuture<>();
    waiters.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(future);
    future.whenComplete(
        (t, e) ->
            waiters.computeIfPresent(
                id,
                (k, list) -> {
                  list.remove(future);
                  return list.isEmpty() ? null : list;
                }));
    store.get(id).filter(t -> t.status().isTerminal()).ifPresent(future::complete);
    return future;
  }

  /**
   * Adds a listener for every event of every task (of the whole cluster, when the event bus spans
   * it). Listeners run on one thread of the orchestrator's, never on a worker's, and hear each
   * task's status changes in the order they happened, each once and without gaps from the first
   * they hear: a change made where this node's bus does not reach is read from the store. Notes
   * follow the change they were made after.
   *
   * @return a handle that removes the listener when closed
   */
  public AutoCloseable addListener(TaskListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return () -> listeners.remove(listener);
  }

  private void onEvent(TaskEvent event) {
    if (!listeners.isEmpty()) {
      sequencer.accept(event);
    }
    if (event.to().isTerminal() && event.isTransition() && waiters.containsKey(event.taskId())) {
      store.get(event.taskId()).ifPresent(this::completeWaiters);
    }
  }

  /** Runs on the sequencer's thread: each task's events in order. */
  private void notifyListeners(TaskEvent event) {
    for (TaskListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("listener failed on {}", event, e);
      }
    }
  }

  private void completeWaiters(Task t) {
    List<CompletableFuture<Task>> list = waiters.get(t.id());
    if (list != null && t.status().isTerminal()) {
      list.forEach(f -> f.complete(t));
    }
  }

  /**
   * Completes the waiters of tasks that ended where this node's event bus does not reach (another
   * node without a shared bus): one store read for all of them, every poll interval.
   */
  private void sweepWaiters() {
    if (!waiters.isEmpty()) {
      store.getAll(Set.copyOf(waiters.keySet())).forEach(this::completeWaiters);
    }
  }

  /** A view of this orchestrator that sees and changes only one owner's tasks. */
  public OwnerScope forOwner(String owner) {
    return new OwnerScope(this, Objects.requireNonNull(owner, "owner"));
  }

  /**
   * The {@link OwnerScope} interface over every owner's tasks, for code that serves both a tenant
   * and an operator (a web layer whose request has no owner).
   */
  public OwnerScope everyOwner() {
    return new OwnerScope(this, null);
  }

  /** The registered templates: name to text, by name. */
  public Map<String, String> templates() {
    return templates;
  }

  /**
   * The nodes alive now: those whose heartbeat the store heard within three heartbeat intervals (a
   * node that shut down gracefully is gone at once).
   */
  public List<NodeInfo> nodes() {
    return store.nodes(clock.now().minus(heartbeatInterval.multipliedBy(3)));
  }

  /** Tasks that ended within the window, by minute, status and model, with tokens and cost. */
  public List<Activity> activity(Duration window) {
    return store.activity(clock.now().minus(window), null);
  }

  /** Number of tasks in each status (statuses with none may be absent). */
  public Map<TaskStatus, Long> countByStatus() {
    return store.countByStatus(null);
  }

  // ---- recurring schedules ----

  /**
   * Creates the schedule of this name, or updates it: from now on the cluster submits one task of
   * {@code spec} for each fire time of {@code recurrence}, whichever nodes are up, however many.
   * Each task carries the idempotency key {@code schedule:<name>:<fire time>} (unique per owner in
   * the store, which is what makes it one per fire time) and the labels {@code schedule=<name>} and
   * {@code scheduledFor=<fire time>}. A schedule is not an owner's: its tasks belong to the spec's
   * owner (default {@link Task#DEFAULT_OWNER}), and its name is unique in the store.
   *
   * <p>Fire times strictly after the schedule's creation count. An update keeps what the schedule
   * already handled unless the recurrence or the owner of its tasks changes: then it counts from
   * now (so no fire time gets a task of each owner). Fire times no started node saw come (all were
   * down) are handled by the misfire policy when one starts.
   *
   * @param misfire {@link MisfirePolicy#RUN_ONCE}: one task for the latest fire time missed; {@link
   *     MisfirePolicy#SKIP}: none unless it is at most {@link Builder#scheduleGrace} late
   * @param spec the task of each fire, checked now exactly as {@link #submit} checks it; it may not
   *     set runAt (use a delay), dependsOn, an idempotency key, or the labels {@value
   *     Schedule#LABEL} and {@value Schedule#FIRE_TIME_LABEL}
   * @return the stored schedule
   * @throws InvalidScheduleException for a bad name, or a missing recurrence or policy; nothing is
   *     written
   * @throws InvalidTaskException for a spec that {@link #submit} would refuse, or one of the fields
   *     above; nothing is written
   */
  public Schedule schedule(
      String name, Recurrence recurrence, MisfirePolicy misfire, TaskSpec spec) {
    Schedule.checkName(name);
    if (recurrence == null) {
      throw new InvalidScheduleException("a schedule needs a recurrence");
    }
    if (misfire == null) {
      throw new InvalidScheduleException("a schedule needs a misfire policy");
    }
    Recurrence kept = storable(recurrence);
    checkScheduledSpec(name, spec, kept);
    while (true) {
      Instant now = clock.now();
      Optional<Schedule> current = store.schedule(name);
      Schedule next;
      if (current.isEmpty()) {
        next = new Schedule(name, kept, misfire, spec, now, now, kept.next(now), 0, now);
      } else {
        Schedule c = current.get();
        // fire times are one task each per owner: a new owner's count from now, like new times
        boolean sameTimes = c.recurrence().equals(kept) && ownerOf(c.spec()).equals(ownerOf(spec));
        Instant since = sameTimes ? c.since() : now;
        next =
            new Schedule(
                name,
                kept,
                misfire,
                spec,
                c.createdAt(),
                since,
                kept.next(since),
                c.version(),
                now);
      }
      Optional<Schedule> saved = store.saveSchedule(next);
      if (saved.isPresent()) {
        schedules.wake(saved.get().nextFire());
        return saved.get();
      }
      // another writer (an update, or a node firing it) came first: read it again
    }
  }

  /**
   * Creates or updates a cron schedule with {@link MisfirePolicy#RUN_ONCE}; see {@link
   * #schedule(String, Recurrence, MisfirePolicy, TaskSpec)} and {@link
   * dev.orchestrator.schedule.Cron} for the syntax and daylight saving time.
   *
   * @param zone the zone whose wall clock the expression reads
   */
  public Schedule schedule(String name, String cron, ZoneId zone, TaskSpec spec) {
    if (cron == null) {
      throw new InvalidScheduleException("a cron schedule needs an expression");
    }
    if (zone == null) {
      throw new InvalidScheduleException("a cron schedule needs a zone");
    }
    return schedule(name, Recurrence.cron(cron, zone), MisfirePolicy.RUN_ONCE, spec);
  }

  /**
   * Creates or updates a schedule that fires every {@code every} (at whole multiples of it since
   * the epoch), with {@link MisfirePolicy#RUN_ONCE}; see {@link #schedule(String, Recurrence,
   * MisfirePolicy, TaskSpec)}.
   */
  public Schedule schedule(String name, Duration every, TaskSpec spec) {
    if (every == null) {
      throw new InvalidScheduleException("an interval schedule needs an interval");
    }
    return schedule(name, Recurrence.every(every), MisfirePolicy.RUN_ONCE, spec);
  }

  /**
   * Removes a schedule: it fires no more. The tasks it submitted stay; a fire another node is
   * making at this instant may still submit its task.
   *
   * @return whether there was a schedule of this name
   */
  public boolean unschedule(String name) {
    return name != null && store.deleteSchedule(name);
  }

  /** The schedule of this name, if any. */
  public Optional<Schedule> getSchedule(String name) {
    return name == null ? Optional.empty() : store.schedule(name);
  }

  /** Every schedule, by name. */
  public List<Schedule> schedules() {
    return store.schedules();
  }

  /**
   * The newest tasks a schedule submitted (those labelled {@code schedule=<name>}), newest first;
   * for more, or other filters, {@link #list} with the label.
   *
   * @param limit 1 to {@link TaskQuery#MAX_LIMIT}
   */
  public List<Task> scheduledTasks(String name, int limit) {
    Objects.requireNonNull(name, "name");
    return list(TaskQuery.builder().label(Schedule.LABEL, name).limit(limit).build()).items();
  }

  private static String ownerOf(TaskSpec spec) {
    return spec.owner() == null ? Task.DEFAULT_OWNER : spec.owner();
  }

  /** An interval anchor as every store keeps it, to the microsecond; any other as it is. */
  private static Recurrence storable(Recurrence r) {
    if (r instanceof Recurrence.IntervalRecurrence i
        && !i.anchor().equals(i.anchor().truncatedTo(ChronoUnit.MICROS))) {
      return Recurrence.every(i.interval(), i.anchor().truncatedTo(ChronoUnit.MICROS));
    }
    return r;
  }

  /** Refuses a schedule's spec as submit would refuse its task, before anything is written. */
  private void checkScheduledSpec(String name, TaskSpec spec, Recurrence recurrence) {
    if (spec == null) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "a schedule needs the spec of its task");
    }
    if (spec.runAt() != null) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD,
          "a schedule's task cannot have a fixed runAt: each fire runs it at once, or after its"
              + " delay");
    }
    if (!spec.dependsOn().isEmpty()) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD, "a schedule's task cannot depend on other tasks");
    }
    if (spec.idempotencyKey() != null) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD,
          "a schedule sets each task's idempotency key itself (schedule:<name>:<fire time>)");
    }
    if (spec.labels().containsKey(Schedule.LABEL)
        || spec.labels().containsKey(Schedule.FIRE_TIME_LABEL)) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD,
          "a schedule sets the labels '"
              + Schedule.LABEL
              + "' and '"
              + Schedule.FIRE_TIME_LABEL
              + "' of its tasks itself");
    }
    Instant now = clock.now();
    // the task of the first fire, built as a fire builds it and then dropped: submit's own checks
    factory.create(
        ScheduleLoop.taskFor(name, spec, recurrence.next(now)), List.of(), false, null, now);
  }

  private static boolean visible(Task t, String owner) {
    return owner == null || owner.equals(t.owner());
  }

  /**
   * Graceful shutdown: stops claiming, lets running attempts finish within the grace period, gives
   * the others back to the queue without counting their attempt. The store and queue passed to the
   * builder stay open: their owner closes them.
   */
  @Override
  public void close() {
    synchronized (lifecycleLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (started) {
      node.close();
    }
    awaitSweeper.shutdownNow();
    try {
      subscription.close();
    } catch (Exception e) {
      log.debug("unsubscribe failed", e);
    }
    sequencer.close();
    OrchestratorException closing =
        new OrchestratorException("orchestrator closed before the awaited task ended");
    waiters.values().forEach(list -> list.forEach(f -> f.completeExceptionally(closing)));
    log.info("orchestrator node {} closed", nodeId);
  }

  /** Configuration of an orchestrator; validated by {@link #build()}, then sealed. */
  public static final class Builder {
    public static final int DEFAULT_WORKERS = 8;
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REAPER_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RECONCILE_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RECONCILE_AFTER = Duration.ofSeconds(30);
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_SCHEDULER_MAX_IDLE = Duration.ofSeconds(1);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    public static final int DEFAULT_BATCH_SIZE = 500;
    public static final Duration DEFAULT_SCHEDULE_GRACE = Duration.ofMinutes(1);

    private TaskStore store;
    private TaskQueue queue;
    private EventBus bus;
    private LlmClient llm;
    private RateLimiter rateLimiter = RateLimiter.UNLIMITED;
    private RateLimiter startLimiter = RateLimiter.UNLIMITED;
    private PriceTable prices = PriceTable.NONE;
    private MetricsRecorder metrics = MetricsRecorder.NOOP;
    private ErrorClassifier classifier = ErrorClassifier.DEFAULT;
    private Clock clock = Clock.SYSTEM;
    private String nodeId;
    private int workers = DEFAULT_WORKERS;
    private Duration leaseDuration = DEFAULT_LEASE;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT;
    private Duration reaperInterval = DEFAULT_REAPER_INTERVAL;
    private Duration reconcileInterval = DEFAULT_RECONCILE_INTERVAL;
    private Duration reconcileAfter = DEFAULT_RECONCILE_AFTER;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration schedulerMaxIdle = DEFAULT_SCHEDULER_MAX_IDLE;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private Duration defaultTimeout = DEFAULT_TIMEOUT;
    private int defaultMaxAttempts = DEFAULT_MAX_ATTEMPTS;
    private RetryPolicy defaultRetry = RetryPolicy.DEFAULT;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private Duration scheduleGrace = DEFAULT_SCHEDULE_GRACE;
    private Duration retention;
    private Limits limits = Limits.DEFAULT;
    private final Map<String, TaskHandler> handlers = new HashMap<>();
    private Set<String> queues = Set.of(Task.DEFAULT_QUEUE);
    private Set<String> taskTypes;
    private Set<String> remoteTypes = Set.of();
    private final Map<String, String> templates = new HashMap<>();
    private final List<TaskListener> listeners = new ArrayList<>();
    private RuntimeSettings settings;

    private Builder() {}

    /** The task store (default: in memory). */
    public Builder store(TaskStore value) {
      store = value;
      return this;
    }

    /** The work source (default: in-memory priority queue). */
    public Builder queue(TaskQueue value) {
      queue = value;
      return this;
    }

    /** The event bus (default: in memory, this JVM). */
    public Builder eventBus(EventBus value) {
      bus = value;
      return this;
    }

    /** The LLM (default: {@link MockLlmClient} with no latency). */
    public Builder llm(LlmClient value) {
      llm = value;
      return this;
    }

    public Builder rateLimiter(RateLimiter value) {
      rateLimiter = value;
      return this;
    }

    /**
     * Limits how fast each task type starts: a rate limiter whose keys are task types, asked for a
     * permit before each attempt's handler starts (its requests per second are starts per second;
     * tokens are not used). {@code InMemoryRateLimiter.builder().limit("report", 10, 0).build()}
     * starts at most 10 "report" attempts a second on this node; a {@code RedisRateLimiter} shared
     * by every node makes it cluster-wide. Types it has no limit for start freely (unless it has a
     * default limit). The wait happens on the worker, after the claim and before the attempt's
     * timeout starts; a cancel interrupts it. Default: no limit.
     */
    public Builder startLimiter(RateLimiter value) {
      startLimiter = value;
      return this;
    }

    /** Prices per model, for the cost of attempts. */
    public Builder prices(PriceTable value) {
      prices = value;
      return this;
    }

    public Builder metrics(MetricsRecorder value) {
      metrics = value;
      return this;
    }

    /** How handler exceptions count (retryable or fatal). */
    public Builder errorClassifier(ErrorClassifier value) {
      classifier = value;
      return this;
    }

    public Builder clock(Clock value) {
      clock = value;
      return this;
    }

    /** This node's name (default: host name, process id and a random suffix). */
    public Builder nodeId(String value) {
      nodeId = value;
      return this;
    }

    /** Attempts run at once on this node (default 8). */
    public Builder workers(int value) {
      workers = value;
      return this;
    }

    /** How long a claim holds without renewal (default 30 s). */
    public Builder leaseDuration(Duration value) {
      leaseDuration = value;
      return this;
    }

    /** How often the node renews its leases (default 10 s; less than the lease). */
    public Builder heartbeatInterval(Duration value) {
      heartbeatInterval = value;
      return this;
    }

    /** How often expired leases are looked for (default 5 s). */
    public Builder reaperInterval(Duration value) {
      reaperInterval = value;
      return this;
    }

    /** How often unclaimed QUEUED tasks are offered again (default 30 s). */
    public Builder reconcileInterval(Duration value) {
      reconcileInterval = value;
      return this;
    }

    /** How long a task sits QUEUED before the reconciler offers it again (default 30 s). */
    public Builder reconcileAfter(Duration value) {
      reconcileAfter = value;
      return this;
    }

    /** Longest wait of the dispatcher on the queue (default 1 s). */
    public Builder pollInterval(Duration value) {
      pollInterval = value;
      return this;
    }

    /** Longest sleep of the scheduler (default 1 s). */
    public Builder schedulerMaxIdle(Duration value) {
      schedulerMaxIdle = value;
      return this;
    }

    /** How long close() waits for running attempts before releasing them (default 10 s). */
    public Builder shutdownGrace(Duration value) {
      shutdownGrace = value;
      return this;
    }

    /** Attempt timeout of tasks that set none (default 5 min). */
    public Builder defaultTimeout(Duration value) {
      defaultTimeout = value;
      return this;
    }

    /** Attempt budget of tasks that set none (default 3). */
    public Builder defaultMaxAttempts(int value) {
      defaultMaxAttempts = value;
      return this;
    }

    /** Backoff of tasks that set none (default 1 s doubling to 5 min, full jitter). */
    public Builder defaultRetryPolicy(RetryPolicy value) {
      defaultRetry = value;
      return this;
    }

    /**
     * How late a recurring schedule's fire time may still run under {@link MisfirePolicy#SKIP}
     * (default 1 min): a fire time found later than this after it (the cluster was down, or busy)
     * is dropped. {@link MisfirePolicy#RUN_ONCE} ignores it. Zero drops every fire a node did not
     * handle at its very instant, which is rarely meant.
     */
    public Builder scheduleGrace(Duration value) {
      scheduleGrace = value;
      return this;
    }

    /** Most rows one scheduler, reaper or reconciler step handles (default 500). */
    public Builder batchSize(int value) {
      batchSize = value;
      return this;
    }

    /**
     * Deletes terminal tasks this long after they ended, checked every reconcile interval (default:
     * keep every task).
     */
    public Builder retention(Duration value) {
      retention = value;
      return this;
    }

    /** Input limits (prompt length, batch size, attempt budget). */
    public Builder limits(Limits value) {
      limits = value;
      return this;
    }

    /** Registers the handler of a task type; {@code "llm"} replaces the default LLM call. */
    public Builder handler(String type, TaskHandler handler) {
      handlers.put(
          Objects.requireNonNull(type, "type"), Objects.requireNonNull(handler, "handler"));
      return this;
    }

    /**
     * The named queues this node claims from; default only {@link Task#DEFAULT_QUEUE}. A task
     * submitted to another queue ({@link TaskSpec.Builder#queue}) waits for a node that serves it.
     */
    public Builder queues(String... names) {
      queues = names("queues", names);
      return this;
    }

    /**
     * The task types this node claims, each of which it has a handler for; default every type it
     * has a handler for ({@code "llm"} included: the built-in LLM call). A service that only
     * verifies names {@code "verify"} here and never claims an LLM task.
     */
    public Builder taskTypes(String... types) {
      taskTypes = names("taskTypes", types);
      return this;
    }

    /**
     * Types this node submits but has no handler for, because other nodes run them. Submitting any
     * other type without a handler is refused ({@code UNKNOWN_TYPE}), so a typo never waits
     * forever.
     */
    public Builder remoteTypes(String... types) {
      remoteTypes = names("remoteTypes", types);
      return this;
    }

    private static Set<String> names(String what, String... names) {
      Set<String> set = new LinkedHashSet<>();
      for (String n : Objects.requireNonNull(names, what)) {
        if (n == null || n.isBlank()) {
          throw new IllegalArgumentException(what + " must not hold a null or blank name");
        }
        set.add(n);
      }
      if (set.isEmpty()) {
        throw new IllegalArgumentException(what + " needs at least one name");
      }
      return Set.copyOf(set);
    }

    /** Registers a named prompt template with {@code {{variables}}}. */
    public Builder template(String name, String text) {
      templates.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(text, "text"));
      return this;
    }

    public Builder listener(TaskListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    private RuntimeSettings settings() {
      return settings;
    }

    /**
     * Validates the configuration and builds the orchestrator (not started).
     *
     * @throws IllegalArgumentException for an inconsistent configuration
     */
    public Orchestrator build() {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be positive: " + workers);
      }
      positive("leaseDuration", leaseDuration);
      positive("heartbeatInterval", heartbeatInterval);
      positive("reaperInterval", reaperInterval);
      positive("reconcileInterval", reconcileInterval);
      positive("reconcileAfter", reconcileAfter);
      positive("pollInterval", pollInterval);
      positive("schedulerMaxIdle", schedulerMaxIdle);
      if (scheduleGrace == null || scheduleGrace.isNegative()) {
        throw new IllegalArgumentException("scheduleGrace must not be negative: " + scheduleGrace);
      }
      positive("defaultTimeout", defaultTimeout);
      if (shutdownGrace.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must not be negative");
      }
      if (heartbeatInterval.compareTo(leaseDuration) >= 0) {
        throw new IllegalArgumentException(
            "heartbeatInterval ("
                + heartbeatInterval
                + ") must be shorter than leaseDuration ("
                + leaseDuration
                + ")");
      }
      if (defaultMaxAttempts < 1 || defaultMaxAttempts > limits.maxAttempts()) {
        throw new IllegalArgumentException("defaultMaxAttempts must be 1.." + limits.maxAttempts());
      }
      if (retention != null) {
        positive("retention", retention);
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be positive");
      }
      store = store != null ? store : new InMemoryTaskStore();
      queue = queue != null ? queue : new InMemoryTaskQueue();
      bus = bus != null ? bus : new InMemoryEventBus();
      llm = llm != null ? llm : MockLlmClient.builder().build();
      Objects.requireNonNull(rateLimiter, "rateLimiter");
      Objects.requireNonNull(startLimiter, "startLimiter");
      Objects.requireNonNull(prices, "prices");
      Objects.requireNonNull(metrics, "metrics");
      Objects.requireNonNull(classifier, "classifier");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(defaultRetry, "defaultRetryPolicy");
      Set<String> handled = new java.util.HashSet<>(handlers.keySet());
      handled.add(Task.LLM_TYPE);
      if (taskTypes != null && !handled.containsAll(taskTypes)) {
        Set<String> missing = new java.util.TreeSet<>(taskTypes);
        missing.removeAll(handled);
        throw new IllegalArgumentException("taskTypes without a handler: " + missing);
      }
      settings =
          new RuntimeSettings(
              nodeId != null ? nodeId : defaultNodeId(),
              workers,
              leaseDuration,
              heartbeatInterval,
              reaperInterval,
              reconcileInterval,
              reconcileAfter,
              pollInterval,
              schedulerMaxIdle,
              shutdownGrace,
              defaultTimeout,
              defaultMaxAttempts,
              defaultRetry,
              batchSize,
              retention,
              new Route(queues, taskTypes != null ? taskTypes : handled),
              scheduleGrace);
      return new Orchestrator(this);
    }

    private static void positive(String name, Duration d) {
      if (d == null || d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
    }

    private static String defaultNodeId() {
      String jvm = ManagementFactory.getRuntimeMXBean().getName(); // pid@host
      return jvm + "-" + Ids.next().toString().substring(24, 30);
    }
  }
}
