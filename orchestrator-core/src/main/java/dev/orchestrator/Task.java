package dev.orchestrator;

import dev.orchestrator.retry.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A durable unit of work as the store holds it: immutable; every change is a new value written by a
 * compare-and-set on {@code (id, status, version)}.
 *
 * @param id time-ordered identifier
 * @param name human name, also how continuations' templates refer to a parent
 * @param type the handler that runs it; {@link #LLM_TYPE} for a plain LLM call
 * @param queue the named queue it waits in ({@link #DEFAULT_QUEUE} unless the spec names one): only
 *     nodes serving that queue claim it
 * @param concurrencyKey tasks sharing this key run at most {@code concurrencyLimit} at once across
 *     the cluster, or null for no such limit
 * @param concurrencyLimit how many tasks of its key may be RUNNING at once when this one is claimed
 *     (0 without a key)
 * @param prompt the prompt (for a continuation: a template rendered when it runs)
 * @param model the model to call, or null for the client's default
 * @param options options of the LLM call
 * @param status where the task is in its lifecycle
 * @param paused held by a pause: in any live status it moves on as usual (a running attempt ends, a
 *     due task is promoted, a continuation is released) but is never claimed until resumed
 * @param priority higher runs first
 * @param attempt attempts started so far
 * @param maxAttempts attempts allowed in the current budget
 * @param runAt earliest time of the next start
 * @param turn its place in line among the QUEUED tasks of its lane at its priority: claims take the
 *     earliest turn first (then the oldest id). It is its runAt, except for a task submitted to run
 *     now while tasks of its owner wait in its lane at its priority: then it is one {@link
 *     dev.orchestrator.spi.TaskStore#TURN_SPACING} after the last of theirs, so owners with a
 *     backlog take turns with each other and with owners that have none (see {@link
 *     dev.orchestrator.spi.TaskStore#insert}). A new runAt is a new turn: setting {@link
 *     Builder#runAt} resets it
 * @param awaiting the name of the signal its attempt waits for, or null when it waits for none. A
 *     handler's {@link dev.orchestrator.spi.HandlerResult#awaitSignal wait} sets it as the task
 *     moves RUNNING to SCHEDULED until its deadline; it stays through the promotion (by the signal,
 *     or the deadline) and the claim, so the next attempt sees what it waited for (a handler that
 *     finds it set and {@link dev.orchestrator.spi.TaskContext#signal no signal} timed out); the
 *     end of that attempt clears it (completion, failure, retry, cancel), unless the attempt waits
 *     again
 * @param timeout longest time one attempt may run
 * @param retryPolicy backoff between attempts, or null for the orchestrator's default
 * @param createdAt when it was submitted
 * @param updatedAt when its status last changed
 * @param startedAt start of the current or last attempt
 * @param finishedAt when it reached a terminal status
 * @param output the output of the successful attempt
 * @param error the error of the last failed attempt, or the reason of a cancel
 * @param parentIds the tasks it was chained from or depends on
 * @param rootId the first task of its chain (its own id for a task without parents)
 * @param idempotencyKey unique per owner: a repeated submit returns the existing task
 * @param owner tenant that owns it
 * @param labels free key/value tags for filtering
 * @param usage tokens and cost summed over all its attempts
 * @param version optimistic concurrency counter, incremented by every status change
 * @param leaseOwner node holding the lease while RUNNING (internal)
 * @param leaseExpiresAt end of the lease while RUNNING (internal)
 */
public record Task(
    UUID id,
    String name,
    String type,
    String queue,
    String concurrencyKey,
    int concurrencyLimit,
    String prompt,
    String model,
    CallOptions options,
    TaskStatus status,
    boolean paused,
    int priority,
    int attempt,
    int maxAttempts,
    Instant runAt,
    Instant turn,
    String awaiting,
    Duration timeout,
    RetryPolicy retryPolicy,
    Instant createdAt,
    Instant updatedAt,
    Instant startedAt,
    Instant finishedAt,
    String output,
    TaskError error,
    List<UUID> parentIds,
    UUID rootId,
    String idempotencyKey,
    String owner,
    Map<String, String> labels,
    Usage usage,
    long version,
    String leaseOwner,
    Instant leaseExpiresAt) {

  /** The type of a task that is one LLM call with its prompt. */
  public static final String LLM_TYPE = "llm";

  /** Queue of tasks submitted without one, and the one queue a node serves unless told others. */
  public static final String DEFAULT_QUEUE = "default";

  /** Owner of tasks submitted without one. */
  public static final String DEFAULT_OWNER = "default";

  public Task {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(owner, "owner");
    queue = queue == null ? DEFAULT_QUEUE : queue;
    options = options == null ? CallOptions.DEFAULT : options;
    parentIds = parentIds == null ? List.of() : List.copyOf(parentIds);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    usage = usage == null ? Usage.NONE : usage;
    rootId = rootId == null ? id : rootId;
    turn = turn == null ? runAt : turn;
  }

  /** True when the current budget has no attempt left. */
  public boolean attemptsExhausted() {
    return attempt >= maxAttempts;
  }

  /** A builder initialised with this task's fields, to derive the next value of the task. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Mutable copy of a task's fields; {@link #build()} validates through the record's constructor.
   */
  public static final class Builder {
    private UUID id;
    private String name;
    private String type;
    private String queue;
    private String concurrencyKey;
    private int concurrencyLimit;
    private String prompt;
    private String model;
    private CallOptions options;
    private TaskStatus status;
    private boolean paused;
    private int priority;
    private int attempt;
    private int maxAttempts;
    private Instant runAt;
    private Instant turn;
    private String awaiting;
    private Duration timeout;
    private RetryPolicy retryPolicy;
    private Instant createdAt;
    private Instant updatedAt;
    private Instant startedAt;
    private Instant finishedAt;
    private String output;
    private TaskError error;
    private List<UUID> parentIds;
    private UUID rootId;
    private String idempotencyKey;
    private String owner;
    private Map<String, String> labels;
    private Usage usage;
    private long version;
    private String leaseOwner;
    private Instant leaseExpiresAt;

    public Builder() {}

    private Builder(Task t) {
      id = t.id;
      name = t.name;
      type = t.type;
      queue = t.queue;
      concurrencyKey = t.concurrencyKey;
      concurrencyLimit = t.concurrencyLimit;
      prompt = t.prompt;
      model = t.model;
      options = t.options;
      status = t.status;
      paused = t.paused;
      priority = t.priority;
      attempt = t.attempt;
      maxAttempts = t.maxAttempts;
      runAt = t.runAt;
      turn = t.turn;
      awaiting = t.awaiting;
      timeout = t.timeout;
      retryPolicy = t.retryPolicy;
      createdAt = t.createdAt;
      updatedAt = t.updatedAt;
      startedAt = t.startedAt;
      finishedAt = t.finishedAt;
      output = t.output;
      error = t.error;
      parentIds = t.parentIds;
      rootId = t.rootId;
      idempotencyKey = t.idempotencyKey;
      owner = t.owner;
      labels = t.labels;
      usage = t.usage;
      version = t.version;
      leaseOwner = t.leaseOwner;
      leaseExpiresAt = t.leaseExpiresAt;
    }

    public Builder id(UUID v) {
      id = v;
      return this;
    }

    public Builder name(String v) {
      name = v;
      return this;
    }

    public Builder type(String v) {
      type = v;
      return this;
    }

    public Builder queue(String v) {
      queue = v;
      return this;
    }

    /** At most {@code limit} tasks of {@code key} RUNNING at once; a null key for none. */
    public Builder concurrency(String key, int limit) {
      concurrencyKey = key;
      concurrencyLimit = key == null ? 0 : limit;
      return this;
    }

    public Builder prompt(String v) {
      prompt = v;
      return this;
    }

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder options(CallOptions v) {
      options = v;
      return this;
    }

    public Builder status(TaskStatus v) {
      status = v;
      return this;
    }

    public Builder paused(boolean v) {
      paused = v;
      return this;
    }

    public Builder priority(int v) {
      priority = v;
      return this;
    }

    public Builder attempt(int v) {
      attempt = v;
      return this;
    }

    public Builder maxAttempts(int v) {
      maxAttempts = v;
      return this;
    }

    /** Sets the earliest time of the next start, and with it the turn (see {@link Task#turn}). */
    public Builder runAt(Instant v) {
      runAt = v;
      turn = null;
      return this;
    }

    /** Sets the turn; call after {@link #runAt}, which resets it. */
    public Builder turn(Instant v) {
      turn = v;
      return this;
    }

    /** The signal the task waits for, or null; see {@link Task#awaiting}. */
    public Builder awaiting(String v) {
      awaiting = v;
      return this;
    }

    public Builder timeout(Duration v) {
      timeout = v;
      return this;
    }

    public Builder retryPolicy(RetryPolicy v) {
      retryPolicy = v;
      return this;
    }

    public Builder createdAt(Instant v) {
      createdAt = v;
      return this;
    }

    public Builder updatedAt(Instant v) {
      updatedAt = v;
      return this;
    }

    public Builder startedAt(Instant v) {
      startedAt = v;
      return this;
    }

    public Builder finishedAt(Instant v) {
      finishedAt = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder error(TaskError v) {
      error = v;
      return this;
    }

    public Builder parentIds(List<UUID> v) {
      parentIds = v;
      return this;
    }

    public Builder rootId(UUID v) {
      rootId = v;
      return this;
    }

    public Builder idempotencyKey(String v) {
      idempotencyKey = v;
      return this;
    }

    public Builder owner(String v) {
      owner = v;
      return this;
    }

    public Builder labels(Map<String, String> v) {
      labels = v;
      return this;
    }

    public Builder usage(Usage v) {
      usage = v;
      return this;
    }

    public Builder version(long v) {
      version = v;
      return this;
    }

    public Builder leaseOwner(String v) {
      leaseOwner = v;
      return this;
    }

    public Builder leaseExpiresAt(Instant v) {
      leaseExpiresAt = v;
      return this;
    }

    /** Clears the lease fields, as every change out of RUNNING does. */
    public Builder noLease() {
      leaseOwner = null;
      leaseExpiresAt = null;
      return this;
    }

    public Task build() {
      return new Task(
          id,
          name,
          type,
          queue,
          concurrencyKey,
          concurrencyLimit,
          prompt,
          model,
          options,
          status,
          paused,
          priority,
          attempt,
          maxAttempts,
          runAt,
          turn,
          awaiting,
          timeout,
          retryPolicy,
          createdAt,
          updatedAt,
          startedAt,
          finishedAt,
          output,
          error,
          parentIds,
          rootId,
          idempotencyKey,
          owner,
          labels,
          usage,
          version,
          leaseOwner,
          leaseExpiresAt);
    }
  }
}
