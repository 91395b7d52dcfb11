package dev.orchestrator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.BulkResult;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.llm.LlmException;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.runtime.Limits;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Promises of the {@link Orchestrator} that must hold whatever store it runs on, tried through the
 * public API only. A store module's test extends it and supplies a fresh store and its work source.
 */
public abstract class OrchestratorContract {
  private static final Duration WAIT = Duration.ofSeconds(30);

  protected TaskStore store;
  private TaskQueue queue;
  private Orchestrator orchestrator;

  /** A new store with no tasks; the contract closes it. */
  protected abstract TaskStore newStore();

  /** The work source to run on the store; the contract closes it. */
  protected abstract TaskQueue newQueue(TaskStore store);

  @BeforeEach
  void openStore() {
    store = newStore();
    queue = newQueue(store);
  }

  @AfterEach
  void closeAll() {
    if (orchestrator != null) {
      orchestrator.close();
    }
    if (queue != null) {
      queue.close();
    }
    if (store != null) {
      store.close();
    }
  }

  private Orchestrator.Builder builder() {
    return builder(store);
  }

  private Orchestrator.Builder builder(TaskStore on) {
    return Orchestrator.builder()
        .store(on)
        .queue(queue)
        .workers(8)
        .pollInterval(Duration.ofMillis(50))
        .schedulerMaxIdle(Duration.ofMillis(20));
  }

  private Orchestrator start(Orchestrator.Builder builder) {
    orchestrator = builder.build().start();
    return orchestrator;
  }

  private Task done(UUID id) throws Exception {
    return orchestrator.await(id).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  // ---- timeouts ----

  @Test
  void aTimeoutEndsTheAttemptOfAHandlerThatIgnoresInterrupts() throws Exception {
    start(
        builder()
            .handler(
                "deaf",
                ctx -> {
                  spin(Duration.ofMillis(1500)); // deaf to the interrupt
                  return HandlerResult.of("late output");
                }));
    Task t =
        orchestrator.submit(
            TaskSpec.builder().type("deaf").timeout(Duration.ofMillis(300)).maxAttempts(1).build());
    Task ended = done(t.id());
    assertEquals(TaskStatus.FAILED, ended.status());
    assertEquals(ErrorKind.TIMEOUT, ended.error().kind());
    assertNull(ended.output(), "a timed-out attempt's output never reaches the task");
    assertTrue(
        ended.finishedAt().isBefore(ended.startedAt().plusMillis(1500)),
        "ended when the timeout fired, not when the handler returned: " + ended);
    Attempt record =
        Waits.value(
            "the late output kept on the attempt record",
            WAIT,
            () -> {
              List<Attempt> attempts = orchestrator.attempts(t.id());
              return attempts.size() == 1 && "late output".equals(attempts.get(0).output())
                  ? attempts.get(0)
                  : null;
            });
    assertEquals(AttemptOutcome.TIMED_OUT, record.outcome());
    assertEquals(TaskStatus.FAILED, orchestrator.get(t.id()).orElseThrow().status());
    assertNull(orchestrator.get(t.id()).orElseThrow().output());
  }

  @Test
  void aTimedOutAttemptIsRetriedByThePolicy() throws Exception {
    java.util.concurrent.atomic.AtomicInteger calls =
        new java.util.concurrent.atomic.AtomicInteger();
    start(
        builder()
            .defaultRetryPolicy(RetryPolicy.fixed(Duration.ZERO))
            .handler(
                "slow-once",
                ctx -> {
                  if (calls.incrementAndGet() == 1) {
                    spin(Duration.ofMillis(800));
                  }
                  return HandlerResult.of("attempt " + ctx.task().attempt());
                }));
    Task t =
        orchestrator.submit(
            TaskSpec.builder()
                .type("slow-once")
                .timeout(Duration.ofMillis(200))
                .maxAttempts(3)
                .build());
    Task ended = done(t.id());
    assertEquals(TaskStatus.COMPLETED, ended.status());
    assertEquals("attempt 2", ended.output());
    List<Attempt> attempts = orchestrator.attempts(t.id());
    assertEquals(AttemptOutcome.TIMED_OUT, attempts.get(0).outcome());
    assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(1).outcome());
  }

  // ---- routing ----

  @Test
  void eachNodeClaimsOnlyTheTypesAndQueuesItServes() throws Exception {
    start(
        builder()
            .nodeId("llm-node")
            .remoteTypes("verify")
            .handler("unused", ctx -> HandlerResult.of("x"))
            .taskTypes(Task.LLM_TYPE));
    Orchestrator verifier =
        builder()
            .nodeId("verify-node")
            .handler("verify", ctx -> HandlerResult.of("ok"))
            .taskTypes("verify")
            .build()
            .start();
    Orchestrator gpu = null;
    try {
      List<TaskSpec> specs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        specs.add(TaskSpec.prompt("p" + i).build());
        specs.add(TaskSpec.builder().type("verify").prompt("v" + i).build());
      }
      Task onGpu = orchestrator.submit(TaskSpec.prompt("render").queue("gpu").build());
      List<Task> tasks = orchestrator.submitAll(specs);
      for (Task t : tasks) {
        assertEquals(TaskStatus.COMPLETED, done(t.id()).status());
        String expected = t.type().equals("verify") ? "verify-node" : "llm-node";
        for (Attempt a : orchestrator.attempts(t.id())) {
          assertEquals(expected, a.worker(), t.type() + " task run on its own node");
        }
      }
      assertEquals(
          TaskStatus.QUEUED,
          orchestrator.get(onGpu.id()).orElseThrow().status(),
          "no node serves the gpu queue yet");
      gpu = builder().nodeId("gpu-node").queues("gpu").build().start();
      assertEquals(TaskStatus.COMPLETED, done(onGpu.id()).status());
      assertEquals("gpu-node", orchestrator.attempts(onGpu.id()).get(0).worker());
    } finally {
      verifier.close();
      if (gpu != null) {
        gpu.close();
      }
    }
  }

  @Test
  void aTypeWithoutAHandlerIsRefusedUnlessDeclaredRemote() {
    start(builder());
    InvalidTaskException e =
        assertThrows(
            InvalidTaskException.class,
            () -> orchestrator.submit(TaskSpec.builder().type("verify").prompt("x").build()));
    assertEquals(Problem.UNKNOWN_TYPE, e.problem());
    assertThrows(
        InvalidTaskException.class,
        () -> orchestrator.submit(TaskSpec.prompt("x").queue(" ").build()),
        "a blank queue name");
    assertThrows(
        IllegalArgumentException.class,
        () -> builder().taskTypes("verify").build(),
        "a node cannot serve a type it has no handler for");
    orchestrator.close();
    start(builder().remoteTypes("verify"));
    Task t = orchestrator.submit(TaskSpec.builder().type("verify").prompt("x").build());
    assertEquals(TaskStatus.QUEUED, orchestrator.get(t.id()).orElseThrow().status());
  }

  // ---- concurrency keys ----

  /**
   * Three nodes of eight workers run 300 tasks on 10 keys of limit 2: no key ever has more than two
   * handlers running, every task completes, and tasks without a key submitted behind the backlog
   * finish while it still waits (no head-of-line blocking).
   */
  @Test
  void threeNodesRunAKeyAtMostItsLimitAtOnceAndAFullKeyBlocksNothingElse() throws Exception {
    Map<String, java.util.concurrent.atomic.AtomicInteger> runningOf = new ConcurrentHashMap<>();
    java.util.concurrent.atomic.AtomicInteger most =
        new java.util.concurrent.atomic.AtomicInteger();
    CountDownLatch freeDone = new CountDownLatch(1);
    dev.orchestrator.spi.TaskHandler keyed =
        ctx -> {
          String key = ctx.task().concurrencyKey();
          int n =
              runningOf
                  .computeIfAbsent(key, k -> new java.util.concurrent.atomic.AtomicInteger())
                  .incrementAndGet();
          most.accumulateAndGet(n, Math::max);
          try {
            // the keyed backlog holds every slot of its keys until the free tasks are done: they
            // can finish only if the full keys block nothing behind them
            assertTrue(freeDone.await(WAIT.toSeconds(), TimeUnit.SECONDS), "free tasks blocked");
            Thread.sleep(5);
          } finally {
            runningOf.get(key).decrementAndGet();
          }
          return HandlerResult.of("ok");
        };
    start(builder().nodeId("k1").handler("keyed", keyed));
    List<Orchestrator> others = new ArrayList<>();
    try {
      for (String id : List.of("k2", "k3")) {
        others.add(builder().nodeId(id).handler("keyed", keyed).build().start());
      }
      List<TaskSpec> specs = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        specs.add(
            TaskSpec.builder()
                .type("keyed")
                .prompt("k" + i)
                .concurrencyKey("tenant-" + (i % 10), 2)
                .build());
      }
      List<Task> backlog = orchestrator.submitAll(specs);
      List<Task> free = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        free.add(orchestrator.submit(TaskSpec.prompt("no key " + i).build()));
      }
      for (Task t : free) {
        assertEquals(TaskStatus.COMPLETED, done(t.id()).status());
      }
      assertTrue(
          backlog.stream().anyMatch(t -> status(t) != TaskStatus.COMPLETED),
          "the free tasks finished while the keyed backlog still waited");
      freeDone.countDown();
      for (Task t : backlog) {
        assertEquals(TaskStatus.COMPLETED, done(t.id()).status());
      }
      assertTrue(most.get() <= 2, "at most 2 of a key at once, saw " + most.get());
      assertEquals(2, most.get(), "the keys did fill up");
      assertThrows(
          InvalidTaskException.class,
          () -> orchestrator.submit(TaskSpec.prompt("x").concurrencyKey("k", 0).build()));
    } finally {
      others.forEach(Orchestrator::close);
    }
  }

  // ---- spawning ----

  /**
   * A handler's spawned tasks appear with its completion: a DAG (two steps, then one that depends
   * on both) whose steps read their parents' outputs, all in the spawner's chain.
   */
  @Test
  void aHandlersSpawnedStepsRunAfterItCompletesAsADag() throws Exception {
    start(
        builder()
            .handler(
                "plan",
                ctx -> {
                  Task a = ctx.spawn(TaskSpec.builder().type("step").name("a").prompt("A").build());
                  Task b = ctx.spawn(TaskSpec.builder().type("step").name("b").prompt("B").build());
                  ctx.spawn(
                      TaskSpec.builder()
                          .type("step")
                          .name("join")
                          .prompt("{{parents.a.output}}+{{parents.b.output}}")
                          .dependsOn(a.id(), b.id())
                          .build());
                  return HandlerResult.of("planned");
                })
            .handler("step", ctx -> HandlerResult.of(ctx.prompt().toLowerCase())));
    Task plan = orchestrator.submit(TaskSpec.builder().type("plan").prompt("go").build());
    assertEquals(TaskStatus.COMPLETED, done(plan.id()).status());
    Waits.until(
        "the spawned steps complete",
        WAIT,
        () ->
            orchestrator.list(TaskQuery.builder().root(plan.id()).build()).items().stream()
                    .filter(t -> t.status() == TaskStatus.COMPLETED)
                    .count()
                == 4);
    List<Task> run = orchestrator.list(TaskQuery.builder().root(plan.id()).build()).items();
    Task join = run.stream().filter(t -> "join".equals(t.name())).findFirst().orElseThrow();
    assertEquals("a+b", join.output());
    assertEquals(3, join.parentIds().size(), "the spawner, then its two dependencies");
    assertEquals(plan.id(), join.parentIds().get(0));
    assertEquals(plan.owner(), join.owner());
    List<dev.orchestrator.Lineage.Edge> edges = orchestrator.lineage(join.id()).edges();
    assertEquals(5, edges.size(), "plan to a, b and join; a and b to join");
    assertEquals(
        edges.stream()
            .sorted(
                java.util.Comparator.comparing(dev.orchestrator.Lineage.Edge::childId)
                    .thenComparing(dev.orchestrator.Lineage.Edge::parentId))
            .toList(),
        edges,
        "edges by child, then parent, on every store");
  }

  /**
   * Spawning loses with its parent: a handler that spawns children and is cancelled before its
   * completion commits leaves no child, though it returns normally after the cancel.
   */
  @Test
  void aCancelledAttemptsSpawnedTasksAreNeverWritten() throws Exception {
    CountDownLatch spawned = new CountDownLatch(1);
    start(
        builder()
            .handler(
                "plan",
                ctx -> {
                  for (int i = 0; i < 3; i++) {
                    ctx.spawn(TaskSpec.builder().type("step").prompt("s" + i).build());
                  }
                  spawned.countDown();
                  while (!ctx.isCancelled()) {
                    Thread.onSpinWait();
                  }
                  return HandlerResult.of("finished after the cancel");
                })
            .handler("step", ctx -> HandlerResult.of("ran")));
    Task plan = orchestrator.submit(TaskSpec.builder().type("plan").prompt("go").build());
    assertTrue(spawned.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    orchestrator.cancel(plan.id());
    Waits.until(
        "the cancelled attempt's late output is kept",
        WAIT,
        () ->
            orchestrator.attempts(plan.id()).stream()
                .anyMatch(a -> "finished after the cancel".equals(a.output())));
    assertEquals(
        List.of(plan.id()),
        orchestrator.list(TaskQuery.builder().root(plan.id()).build()).items().stream()
            .map(Task::id)
            .toList(),
        "no spawned task was written");
  }

  /**
   * Cancels racing completions that spawn: 200 tasks each spawn two children and return after a
   * random spin, while another thread, told by the attempt that it started, cancels it after
   * another random spin. Whichever wins, a task has its two children if and only if it COMPLETED.
   */
  @Test
  void spawnedTasksExistExactlyWhenTheirSpawnerCompletedUnderRacingCancels() throws Exception {
    java.util.concurrent.ExecutorService cancellers =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      start(
          builder()
              .handler(
                  "plan",
                  ctx -> {
                    UUID self = ctx.task().id();
                    long delay = ThreadLocalRandom.current().nextLong(3_000_000);
                    cancellers.execute(
                        () -> {
                          spin(Duration.ofNanos(delay));
                          try {
                            orchestrator.cancel(self);
                          } catch (RuntimeException finished) {
                            // it completed first: a terminal task is not cancelled
                          }
                        });
                    ctx.spawn(TaskSpec.builder().type("step").prompt("x").build());
                    ctx.spawn(TaskSpec.builder().type("step").prompt("y").build());
                    spin(Duration.ofNanos(ThreadLocalRandom.current().nextLong(3_000_000)));
                    return HandlerResult.of("planned");
                  })
              .handler("step", ctx -> HandlerResult.of("ran")));
      List<TaskSpec> specs = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        specs.add(TaskSpec.builder().type("plan").prompt("p" + i).build());
      }
      List<Task> plans = orchestrator.submitAll(specs);
      int completed = 0;
      for (Task p : plans) {
        Task end = done(p.id());
        List<Task> family = orchestrator.list(TaskQuery.builder().root(p.id()).build()).items();
        if (end.status() == TaskStatus.COMPLETED) {
          completed++;
          assertEquals(3, family.size(), "a completed spawner has its two children");
        } else {
          assertEquals(TaskStatus.CANCELLED, end.status());
          assertEquals(1, family.size(), "a cancelled spawner has no child: " + family);
        }
      }
      assertTrue(completed > 0 && completed < 200, "the race went both ways: " + completed);
    } finally {
      cancellers.shutdownNow();
    }
  }

  // ---- waits and signals ----

  /** A step that goes on with the signal "approval" once it has it, and waits for it until then. */
  private static HandlerResult approvalStep(dev.orchestrator.spi.TaskContext ctx, Duration wait) {
    return ctx.signal("approval")
        .map(payload -> HandlerResult.of("approved: " + payload))
        .orElseGet(() -> HandlerResult.awaitSignal("approval", wait));
  }

  /** The task once it waits (SCHEDULED, its attempt given back) for the signal. */
  private Task waitingFor(UUID id, String signal) {
    return Waits.value(
        "the task waits for " + signal,
        WAIT,
        () ->
            orchestrator
                .get(id)
                .filter(t -> t.status() == TaskStatus.SCHEDULED && signal.equals(t.awaiting()))
                .orElse(null));
  }

  /**
   * A step waits for a signal holding no worker (one worker runs another task meanwhile), its
   * attempt not counted, until the signal wakes it long before its timeout; it goes on with the
   * payload, and a second signal of the name changes nothing.
   */
  @Test
  void aStepWaitsForASignalHoldingNoWorkerAndGoesOnWithItsPayload() throws Exception {
    start(
        builder()
            .workers(1)
            .handler("approve", ctx -> approvalStep(ctx, Duration.ofHours(1)))
            .handler("other", ctx -> HandlerResult.of("ran")));
    Instant before = Instant.now();
    Task step = orchestrator.submit(TaskSpec.builder().type("approve").prompt("draft").build());
    Task waiting = waitingFor(step.id(), "approval");
    assertEquals(0, waiting.attempt(), "the waiting attempt does not count");
    assertTrue(waiting.runAt().isAfter(before.plus(Duration.ofMinutes(59))), waiting.toString());
    assertEquals(List.of(), orchestrator.attempts(step.id()), "nor leave a record");
    List<TaskEvent> events = orchestrator.events(step.id());
    assertTrue(
        events.get(events.size() - 1).reason().startsWith("waiting for signal approval until "),
        events.toString());

    Task other = orchestrator.submit(TaskSpec.builder().type("other").prompt("x").build());
    assertEquals(TaskStatus.COMPLETED, done(other.id()).status(), "the one worker is free");
    assertEquals(TaskStatus.SCHEDULED, orchestrator.get(step.id()).orElseThrow().status());

    assertTrue(orchestrator.signal(step.id(), "approval", "ship it"));
    assertFalse(orchestrator.signal(step.id(), "approval", "no"), "the first signal won");
    Task approved = done(step.id());
    assertEquals(TaskStatus.COMPLETED, approved.status());
    assertEquals("approved: ship it", approved.output());
    assertEquals(1, approved.attempt());
    assertNull(approved.awaiting(), "cleared by the completion");
    assertEquals(
        List.of(AttemptOutcome.SUCCEEDED),
        orchestrator.attempts(step.id()).stream().map(Attempt::outcome).toList());
    assertTrue(
        orchestrator.events(step.id()).stream()
            .anyMatch(
                e ->
                    "signal approval".equals(e.reason())
                        && e.from() == TaskStatus.SCHEDULED
                        && e.to() == TaskStatus.QUEUED),
        "woken by the signal");
  }

  /**
   * A wait's timeout runs the step again with {@code awaiting} still set and no signal, so the
   * handler can tell it timed out: here it fails the task, which clears the field.
   */
  @Test
  void aWaitThatTimesOutRunsTheStepAgainSeeingWhatItWaitedForAndNoSignal() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    start(
        builder()
            .handler(
                "approve",
                ctx -> {
                  seen.add(ctx.task().awaiting() + "/" + ctx.signal("approval").orElse("none"));
                  if ("approval".equals(ctx.task().awaiting())
                      && ctx.signal("approval").isEmpty()) {
                    throw new dev.orchestrator.retry.FatalTaskException("not approved in time");
                  }
                  return approvalStep(ctx, Duration.ofMillis(300));
                }));
    Task step = orchestrator.submit(TaskSpec.builder().type("approve").prompt("draft").build());
    Task waiting = waitingFor(step.id(), "approval");
    Task ended = done(step.id());
    assertEquals(TaskStatus.FAILED, ended.status());
    assertEquals(ErrorKind.FATAL, ended.error().kind());
    assertTrue(ended.error().message().contains("not approved in time"), ended.toString());
    assertFalse(
        ended.finishedAt().isBefore(waiting.runAt()), "woken by its deadline, not before it");
    assertNull(ended.awaiting(), "cleared by the failure");
    assertEquals(List.of("null/none", "approval/none"), seen);
    assertEquals(1, ended.attempt());
    assertEquals(1, orchestrator.attempts(step.id()).size());
  }

  /** A step sleeps until a time, holding no worker, and runs again then, not before. */
  @Test
  void sleepUntilWakesTheStepAtItsTimeAndNotBefore() throws Exception {
    Map<UUID, Instant> wakeAt = new ConcurrentHashMap<>();
    Map<UUID, Instant> woke = new ConcurrentHashMap<>();
    start(
        builder()
            .handler(
                "nap",
                ctx -> {
                  Instant at = wakeAt.get(ctx.task().id());
                  if (at == null) {
                    at = Instant.now().plusMillis(700).truncatedTo(ChronoUnit.MICROS);
                    wakeAt.put(ctx.task().id(), at);
                    return HandlerResult.sleepUntil(at);
                  }
                  woke.put(ctx.task().id(), Instant.now());
                  return HandlerResult.of("awake");
                }));
    Task nap = orchestrator.submit(TaskSpec.builder().type("nap").prompt("z").build());
    Task sleeping =
        Waits.value(
            "the step sleeps",
            WAIT,
            () ->
                orchestrator
                    .get(nap.id())
                    .filter(t -> t.status() == TaskStatus.SCHEDULED)
                    .orElse(null));
    assertNull(sleeping.awaiting(), "a sleep waits for no signal");
    assertEquals(wakeAt.get(nap.id()), sleeping.runAt());
    assertEquals(0, sleeping.attempt());
    Task ended = done(nap.id());
    assertEquals(TaskStatus.COMPLETED, ended.status());
    assertEquals("awake", ended.output());
    assertFalse(
        woke.get(nap.id()).isBefore(wakeAt.get(nap.id())),
        "woke at " + woke.get(nap.id()) + ", before " + wakeAt.get(nap.id()));
    assertEquals(1, ended.attempt());
    assertTrue(
        orchestrator.events(nap.id()).stream()
            .anyMatch(e -> ("sleeping until " + wakeAt.get(nap.id())).equals(e.reason())));
  }

  /**
   * Signals racing waits: 200 runs, each signalled at a random moment around its wait (some before
   * their step runs, the others by another thread while the step is returning its wait, before or
   * after the wait is written). No wake-up is lost: every run completes with the payload long
   * before its ten-minute timeout.
   */
  @Test
  void signalsRacingWaitsWakeEveryRunLongBeforeItsTimeout() throws Exception {
    int runs = 200;
    Set<UUID> signalled = ConcurrentHashMap.newKeySet();
    java.util.concurrent.ExecutorService signallers =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      start(
          builder()
              .handler(
                  "gate",
                  ctx -> {
                    Optional<String> go = ctx.signal("go");
                    if (go.isPresent()) {
                      return HandlerResult.of(go.get());
                    }
                    UUID run = ctx.task().rootId();
                    if (signalled.add(run)) {
                      long delay = ThreadLocalRandom.current().nextLong(3_000_000);
                      signallers.execute(
                          () -> {
                            spin(Duration.ofNanos(delay));
                            orchestrator.signal(run, "go", "went");
                          });
                    }
                    spin(Duration.ofNanos(ThreadLocalRandom.current().nextLong(500_000)));
                    return HandlerResult.awaitSignal("go", Duration.ofMinutes(10));
                  }));
      List<TaskSpec> specs = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        TaskSpec.Builder gate = TaskSpec.builder().type("gate").prompt("run " + i);
        if (i % 4 == 0) { // a quarter is signalled at once, while they are still scheduled
          gate.delay(Duration.ofSeconds(2));
        }
        specs.add(gate.build());
      }
      List<Task> gates = orchestrator.submitAll(specs);
      for (int i = 0; i < runs; i += 4) {
        if (signalled.add(gates.get(i).id())) {
          orchestrator.signal(gates.get(i).id(), "go", "went");
        }
      }
      long started = System.nanoTime();
      int waited = 0;
      for (Task gate : gates) {
        Task end = done(gate.id());
        assertEquals(TaskStatus.COMPLETED, end.status(), end.toString());
        assertEquals("went", end.output());
        assertEquals(1, end.attempt());
        assertNull(end.awaiting());
        if (orchestrator.events(gate.id()).stream()
            .anyMatch(e -> e.reason().startsWith("waiting for signal go"))) {
          waited++;
        }
      }
      assertTrue(
          Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofMinutes(1)) < 0,
          "every run woke long before its timeout");
      assertTrue(waited > 0 && waited < runs, "some waited, some found the signal: " + waited);
    } finally {
      signallers.shutdownNow();
    }
  }

  /**
   * A signal is refused before anything is written: for no run, for a task that is not a run's
   * root, for another owner's run, or with a bad name or payload.
   */
  @Test
  void aBadSignalIsRefusedBeforeAnythingIsWritten() throws Exception {
    orchestrator = builder().remoteTypes("elsewhere").build();
    Task root =
        orchestrator.submit(TaskSpec.builder().type("elsewhere").prompt("root").owner("a").build());
    Task child =
        orchestrator.submit(
            TaskSpec.builder()
                .type("elsewhere")
                .prompt("child")
                .owner("a")
                .dependsOn(root.id())
                .build());
    int events = orchestrator.events(root.id()).size();
    UUID unknown = UUID.randomUUID();
    assertEquals(
        Problem.UNKNOWN_RUN,
        assertThrows(
                InvalidTaskException.class, () -> orchestrator.signal(unknown, "approval", "yes"))
            .problem());
    InvalidTaskException notRoot =
        assertThrows(
            InvalidTaskException.class, () -> orchestrator.signal(child.id(), "approval", "yes"));
    assertEquals(Problem.UNKNOWN_RUN, notRoot.problem());
    assertTrue(notRoot.getMessage().contains(root.id().toString()), notRoot.getMessage());
    assertEquals(
        Problem.UNKNOWN_RUN,
        assertThrows(
                InvalidTaskException.class,
                () -> orchestrator.forOwner("b").signal(root.id(), "approval", "yes"))
            .problem(),
        "another owner's run is unknown");
    for (String name : new String[] {null, "", "  ", "x".repeat(201), "nul\u0000"}) {
      assertEquals(
          Problem.BAD_FIELD,
          assertThrows(
                  InvalidTaskException.class, () -> orchestrator.signal(root.id(), name, "yes"))
              .problem(),
          "name " + name);
    }
    for (String payload :
        new String[] {
          "nul\u0000", "\uD800 unpaired", "x".repeat(Limits.DEFAULT_MAX_PROMPT_LENGTH + 1)
        }) {
      assertEquals(
          Problem.BAD_FIELD,
          assertThrows(
                  InvalidTaskException.class,
                  () -> orchestrator.signal(root.id(), "approval", payload))
              .problem());
    }
    assertTrue(store.signal(unknown, "approval").isEmpty());
    assertTrue(store.signal(child.id(), "approval").isEmpty());
    assertTrue(store.signal(root.id(), "approval").isEmpty(), "nothing was written");
    assertEquals(events, orchestrator.events(root.id()).size());
    // the same signal, well formed, to the run as its owner sees it
    assertTrue(orchestrator.forOwner("a").signal(root.id(), "approval", null));
    assertEquals(Optional.of(""), store.signal(root.id(), "approval"), "no payload is empty");
  }

  // ---- fairness ----

  /**
   * One tenant's backlog of 1,000 tasks, submitted first, does not hold up another tenant's single
   * task: it starts after a few of the backlog (those already claimed ahead), not after all.
   */
  @Test
  void aTenantsSingleTaskIsNotKeptWaitingBehindAnotherTenantsBacklog() throws Exception {
    java.util.concurrent.atomic.AtomicInteger bigStarted =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger bigBeforeSmall =
        new java.util.concurrent.atomic.AtomicInteger(-1);
    start(
        builder()
            .handler(
                "work",
                ctx -> {
                  if (ctx.task().owner().equals("big")) {
                    bigStarted.incrementAndGet();
                  } else {
                    bigBeforeSmall.set(bigStarted.get());
                  }
                  Thread.sleep(2);
                  return HandlerResult.of("ok");
                }));
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      specs.add(TaskSpec.builder().type("work").owner("big").prompt("b" + i).build());
    }
    List<Task> backlog = orchestrator.submitAll(specs);
    Task small =
        orchestrator.submit(TaskSpec.builder().type("work").owner("small").prompt("s").build());
    assertEquals(TaskStatus.COMPLETED, done(small.id()).status());
    assertTrue(
        bigBeforeSmall.get() >= 0 && bigBeforeSmall.get() < 100,
        "the small tenant's task started after " + bigBeforeSmall.get() + " of 1,000 others");
    for (Task t : backlog) {
      assertEquals(TaskStatus.COMPLETED, done(t.id()).status());
    }
  }

  // ---- start rates ----

  @Test
  void aTypesStartsKeepToItsRateWhileOtherTypesStartFreely() throws Exception {
    List<Long> starts = new CopyOnWriteArrayList<>();
    start(
        builder()
            .startLimiter(
                dev.orchestrator.memory.InMemoryRateLimiter.builder()
                    .limit("report", 10, 0)
                    .build())
            .handler(
                "report",
                ctx -> {
                  starts.add(System.nanoTime());
                  return HandlerResult.of("r");
                }));
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      specs.add(TaskSpec.builder().type("report").prompt("r" + i).build());
    }
    long submitted = System.nanoTime();
    List<Task> reports = orchestrator.submitAll(specs);
    Task free = orchestrator.submit(TaskSpec.prompt("no limit").build());
    assertEquals(TaskStatus.COMPLETED, done(free.id()).status());
    assertTrue(
        starts.size() < 25,
        "the unlimited task finished while the reports still waited their turn");
    for (Task t : reports) {
      assertEquals(TaskStatus.COMPLETED, done(t.id()).status());
    }
    List<Long> sorted = starts.stream().sorted().toList();
    for (int i = 0; i + 10 < sorted.size(); i++) {
      assertTrue(
          sorted.get(i + 10) - sorted.get(i) >= TimeUnit.MILLISECONDS.toNanos(900),
          "11 starts within a second: " + (sorted.get(i + 10) - sorted.get(i)) / 1_000_000 + " ms");
    }
    assertTrue(sorted.get(24) - submitted >= TimeUnit.MILLISECONDS.toNanos(1900), "25 at 10/s");
  }

  // ---- pause ----

  @Test
  void aPausedTaskIsNotStartedUntilResumedWhileOthersRun() throws Exception {
    start(builder());
    Task held = orchestrator.submit(TaskSpec.prompt("held").delay(Duration.ofMillis(200)).build());
    assertTrue(orchestrator.pause(held.id()).paused());
    assertTrue(orchestrator.pause(held.id()).paused(), "pausing twice changes nothing");
    Task later =
        orchestrator.submit(TaskSpec.prompt("later").delay(Duration.ofMillis(300)).build());
    assertEquals(TaskStatus.COMPLETED, done(later.id()).status());
    Task stillHeld = orchestrator.get(held.id()).orElseThrow();
    assertEquals(TaskStatus.QUEUED, stillHeld.status(), "its due time passed");
    assertEquals(0, stillHeld.attempt(), "but it never started");
    assertTrue(stillHeld.paused());
    assertFalse(orchestrator.resume(held.id()).paused());
    assertEquals(TaskStatus.COMPLETED, done(held.id()).status());
    assertEquals(
        List.of("paused", "resumed"),
        orchestrator.events(held.id()).stream()
            .map(TaskEvent::reason)
            .filter(r -> r.equals("paused") || r.equals("resumed"))
            .toList());
    assertThrows(
        dev.orchestrator.lifecycle.IllegalTransitionException.class,
        () -> orchestrator.pause(held.id()),
        "a finished task cannot be paused");
  }

  @Test
  void aPausedRunningTaskFinishesItsAttemptAndItsRetryWaitsForTheResume() throws Exception {
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    start(
        builder()
            .handler(
                "flaky",
                ctx -> {
                  if (ctx.task().attempt() == 1) {
                    started.countDown();
                    release.await();
                    throw new java.io.IOException("transient");
                  }
                  return HandlerResult.of("second attempt");
                }));
    Task t =
        orchestrator.submit(
            TaskSpec.builder()
                .type("flaky")
                .prompt("x")
                .maxAttempts(3)
                .retryPolicy(new RetryPolicy(Duration.ofMillis(10), 1.0, Duration.ofMillis(10)))
                .build());
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    Task paused = orchestrator.pause(t.id());
    assertEquals(TaskStatus.RUNNING, paused.status());
    assertTrue(paused.paused());
    release.countDown();
    Waits.until(
        "the first attempt's ending is written over the pause",
        WAIT,
        () -> orchestrator.attempts(t.id()).size() == 1);
    assertEquals(AttemptOutcome.RETRYABLE_FAILURE, orchestrator.attempts(t.id()).get(0).outcome());
    Task other = orchestrator.submit(TaskSpec.prompt("proof the workers run").build());
    assertEquals(TaskStatus.COMPLETED, done(other.id()).status());
    Waits.until(
        "the retry is due, and held",
        WAIT,
        () -> orchestrator.get(t.id()).orElseThrow().status() == TaskStatus.QUEUED);
    Task held = orchestrator.get(t.id()).orElseThrow();
    assertTrue(held.paused());
    assertEquals(1, held.attempt(), "no second attempt while paused");
    orchestrator.resume(t.id());
    Task ended = done(t.id());
    assertEquals(TaskStatus.COMPLETED, ended.status());
    assertEquals("second attempt", ended.output());
    assertFalse(ended.paused());
  }

  @Test
  void pausingADagByItsRootHoldsEveryStepUntilResumed() throws Exception {
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    start(
        builder()
            .handler(
                "gate",
                ctx -> {
                  started.countDown();
                  release.await();
                  return HandlerResult.of("opened");
                }));
    Task root = orchestrator.submit(TaskSpec.builder().type("gate").prompt("root").build());
    List<Task> steps = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      steps.add(
          orchestrator.submit(TaskSpec.prompt("step " + i).dependsOn(List.of(root.id())).build()));
    }
    Task last =
        orchestrator.submit(
            TaskSpec.prompt("fan-in").dependsOn(steps.stream().map(Task::id).toList()).build());
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    dev.orchestrator.BulkResult paused =
        orchestrator.pauseAll(TaskQuery.builder().root(root.id()).build());
    assertEquals(5, paused.changed(), "the running root and its four pending steps");
    release.countDown();
    assertEquals(TaskStatus.COMPLETED, done(root.id()).status(), "the running attempt finished");
    Task proof = orchestrator.submit(TaskSpec.prompt("proof the workers run").build());
    assertEquals(TaskStatus.COMPLETED, done(proof.id()).status());
    for (Task step : steps) {
      Waits.until(
          "a step released by its parent",
          WAIT,
          () -> orchestrator.get(step.id()).orElseThrow().status() == TaskStatus.QUEUED);
      Task held = orchestrator.get(step.id()).orElseThrow();
      assertTrue(held.paused());
      assertEquals(0, held.attempt(), "nothing new starts while the root is paused");
    }
    assertEquals(TaskStatus.PENDING, orchestrator.get(last.id()).orElseThrow().status());
    assertEquals(4, orchestrator.resumeAll(TaskQuery.builder().root(root.id()).build()).changed());
    for (Task step : steps) {
      assertEquals(TaskStatus.COMPLETED, done(step.id()).status());
    }
    assertEquals(TaskStatus.COMPLETED, done(last.id()).status());
  }

  @Test
  void whatAPausedAttemptSpawnsIsHeldUntilResumedByTheRoot() throws Exception {
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    start(
        builder()
            .handler(
                "plan",
                ctx -> {
                  Task first = ctx.spawn(TaskSpec.builder().type("step").prompt("1").build());
                  ctx.spawn(
                      TaskSpec.builder()
                          .type("step")
                          .prompt("2")
                          .dependsOn(List.of(first.id()))
                          .build());
                  ctx.spawn(
                      TaskSpec.builder()
                          .type("step")
                          .prompt("later")
                          .delay(Duration.ofMillis(50))
                          .build());
                  started.countDown();
                  release.await();
                  return HandlerResult.of("planned");
                })
            .handler("step", ctx -> HandlerResult.of("ran " + ctx.task().prompt())));
    Task plan = orchestrator.submit(TaskSpec.builder().type("plan").prompt("p").build());
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertTrue(orchestrator.pause(plan.id()).paused());
    release.countDown();
    assertEquals(TaskStatus.COMPLETED, done(plan.id()).status(), "the paused attempt finished");
    TaskQuery family = TaskQuery.builder().root(plan.id()).build();
    List<Task> children =
        orchestrator.list(family).items().stream().filter(t -> !t.id().equals(plan.id())).toList();
    assertEquals(3, children.size(), "its children were written with it");
    Task proof = orchestrator.submit(TaskSpec.prompt("proof the workers run").build());
    assertEquals(TaskStatus.COMPLETED, done(proof.id()).status());
    Waits.until(
        "the delayed child is due, and held",
        WAIT,
        () ->
            orchestrator.list(family).items().stream()
                .filter(t -> "later".equals(t.prompt()))
                .allMatch(t -> t.status() == TaskStatus.QUEUED));
    for (Task child : orchestrator.list(family).items()) {
      if (!child.id().equals(plan.id())) {
        assertTrue(child.paused(), "held: " + child);
        assertEquals(0, child.attempt(), "nothing it spawned started while paused: " + child);
      }
    }
    assertEquals(3, orchestrator.resumeAll(family).changed());
    for (Task child : children) {
      Task end = done(child.id());
      assertEquals(TaskStatus.COMPLETED, end.status());
      assertFalse(end.paused());
    }
  }

  @Test
  void aPausedTypeHoldsItsTasksOnEveryNodeUntilResumed() throws Exception {
    start(builder().handler("report", ctx -> HandlerResult.of("r")));
    assertTrue(orchestrator.pauseType("report"));
    assertEquals(Set.of("report"), orchestrator.pausedTypes());
    List<Task> reports = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      reports.add(orchestrator.submit(TaskSpec.builder().type("report").prompt("r" + i).build()));
    }
    Task other = orchestrator.submit(TaskSpec.prompt("not paused").build());
    assertEquals(TaskStatus.COMPLETED, done(other.id()).status());
    for (Task r : reports) {
      Task now = orchestrator.get(r.id()).orElseThrow();
      assertEquals(TaskStatus.QUEUED, now.status());
      assertEquals(0, now.attempt());
    }
    assertTrue(orchestrator.resumeType("report"));
    for (Task r : reports) {
      assertEquals(TaskStatus.COMPLETED, done(r.id()).status());
    }
    assertEquals(Set.of(), orchestrator.pausedTypes());
  }

  // ---- events ----

  @Test
  void listenersHearEachTasksChangesInTheOrderTheyHappened() throws Exception {
    Map<UUID, List<TaskEvent>> heard = new ConcurrentHashMap<>();
    Map<UUID, Integer> calls = new ConcurrentHashMap<>();
    start(
        builder()
            .workers(16)
            .defaultRetryPolicy(RetryPolicy.fixed(Duration.ofMillis(3)))
            .listener(
                e -> {
                  if (e.from() == TaskStatus.RUNNING && e.to() != TaskStatus.COMPLETED) {
                    spin(Duration.ofMillis(1)); // a listener that reports failures somewhere
                  }
                  heard.computeIfAbsent(e.taskId(), k -> new CopyOnWriteArrayList<>()).add(e);
                })
            .handler(
                "flaky",
                ctx -> {
                  // fails twice, retried with 0..3 ms of backoff: RUNNING>QUEUED or >SCHEDULED
                  if (calls.merge(ctx.task().id(), 1, Integer::sum) <= 2) {
                    throw new LlmException(ErrorKind.SERVER_ERROR, "flaky");
                  }
                  return HandlerResult.of("ok");
                }));
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      specs.add(TaskSpec.builder().type("flaky").maxAttempts(3).build());
    }
    List<Task> tasks = orchestrator.submitAll(specs);
    for (Task t : tasks) {
      assertEquals(TaskStatus.COMPLETED, done(t.id()).status());
    }
    for (Task t : tasks) {
      Waits.until(
          "the listener heard the completion of " + t.id(),
          WAIT,
          () ->
              heard.getOrDefault(t.id(), List.of()).stream()
                  .anyMatch(e -> e.to() == TaskStatus.COMPLETED));
      List<TaskEvent> changes = heard.get(t.id()).stream().filter(TaskEvent::isTransition).toList();
      List<TaskEvent> stored =
          orchestrator.events(t.id()).stream().filter(TaskEvent::isTransition).toList();
      assertEquals(path(stored), path(changes), "heard in the order stored, each once");
      TaskStatus previous = null;
      for (int i = 0; i < changes.size(); i++) {
        TaskEvent e = changes.get(i);
        assertEquals(previous, e.from(), "each change starts where the last one ended: " + changes);
        assertEquals(i, e.version(), "versions count the changes: " + changes);
        previous = e.to();
      }
    }
  }

  /** Busy for a while, as real work is: neither a sleep nor a wait for a condition. */
  private static void spin(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }

  private static List<String> path(List<TaskEvent> events) {
    return events.stream().map(e -> e.from() + ">" + e.to() + "@" + e.version()).toList();
  }

  @Test
  void aTasksHistoryNeverRunsBackwards() throws Exception {
    // claims that take a while to reach the store (a busy pool, a slow network): tasks are
    // inserted and committed between a claimer's "now" and its claim
    TaskStore slowClaims =
        new DelegatingTaskStore(store) {
          @Override
          public List<Task> claimNext(
              int limit, dev.orchestrator.spi.Lease lease, dev.orchestrator.spi.Route route) {
            spin(Duration.ofMillis(5));
            return super.claimNext(limit, lease, route);
          }

          @Override
          public List<Task> claim(
              java.util.Collection<UUID> ids, dev.orchestrator.spi.Lease lease) {
            spin(Duration.ofMillis(5));
            return super.claim(ids, lease);
          }
        };
    start(builder(slowClaims).workers(16).handler("noop", ctx -> HandlerResult.of("done")));
    // one task at a time, as a service submits them: the queue stays shallow, so a claim takes
    // tasks inserted after its "now"
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      tasks.add(orchestrator.submit(TaskSpec.builder().type("noop").build()));
    }
    for (Task t : tasks) {
      Task ended = done(t.id());
      assertEquals(TaskStatus.COMPLETED, ended.status());
      List<TaskEvent> events = orchestrator.events(t.id());
      for (int i = 1; i < events.size(); i++) {
        assertFalse(
            events.get(i).at().isBefore(events.get(i - 1).at()),
            "events of " + t.id() + " run backwards: " + events);
      }
      for (Attempt a : orchestrator.attempts(t.id())) {
        assertFalse(
            a.startedAt().isBefore(ended.createdAt()),
            "attempt started before its task was created: " + a + " " + ended);
        assertFalse(a.finishedAt().isBefore(a.startedAt()), "attempt ends before it starts: " + a);
      }
      assertFalse(ended.startedAt().isBefore(ended.createdAt()), ended.toString());
    }
  }

  // ---- continuations ----

  @Test
  void aParentNamedTwiceIsOneParent() throws Exception {
    start(builder());
    Task parent = orchestrator.submit(TaskSpec.prompt("the parent").build());
    Task child =
        orchestrator.submit(
            TaskSpec.prompt("Use {{parent.output}}").dependsOn(parent.id(), parent.id()).build());
    assertEquals(List.of(parent.id()), child.parentIds());
    Task ended = done(child.id());
    assertEquals(TaskStatus.COMPLETED, ended.status());
  }

  @Test
  void aContinuationsPlaceholderThatNothingFillsIsRefusedAtSubmit() throws Exception {
    start(builder().template("render", "Render {{parent.output}} as {{format}}"));
    Task parent = orchestrator.submit(TaskSpec.prompt("the parent").build());
    long before = orchestrator.list(TaskQuery.all()).items().size();
    InvalidTaskException e =
        assertThrows(
            InvalidTaskException.class,
            () ->
                orchestrator.submit(
                    TaskSpec.prompt("Render {{parent.output}} as {{format}}")
                        .dependsOn(parent.id())
                        .build()));
    assertEquals(Problem.MISSING_VARIABLE, e.problem());
    assertTrue(e.getMessage().contains("format"), e.getMessage());
    InvalidTaskException misspelt =
        assertThrows(
            InvalidTaskException.class,
            () ->
                orchestrator.submit(
                    TaskSpec.prompt("{{parents.nobody.output}}").dependsOn(parent.id()).build()));
    assertEquals(Problem.MISSING_VARIABLE, misspelt.problem());
    assertEquals(before, orchestrator.list(TaskQuery.all()).items().size(), "nothing written");

    Task filled =
        orchestrator.submit(
            TaskSpec.template("render", Map.of("format", "JSON")).dependsOn(parent.id()).build());
    Task ended = done(filled.id());
    assertEquals(TaskStatus.COMPLETED, ended.status());
  }

  // ---- nodes and activity ----

  @Test
  void aRunningNodeIsAliveUntilItShutsDownAndEndedTasksShowInTheActivity() throws Exception {
    start(builder().nodeId("node-under-test"));
    assertTrue(
        orchestrator.nodes().stream().anyMatch(n -> n.nodeId().equals("node-under-test")),
        orchestrator.nodes().toString());
    Task t = orchestrator.submit(TaskSpec.prompt("count me").model("m-activity").build());
    assertEquals(TaskStatus.COMPLETED, done(t.id()).status());
    List<dev.orchestrator.Activity> activity = orchestrator.activity(Duration.ofMinutes(5));
    assertTrue(
        activity.stream()
            .anyMatch(
                a ->
                    "m-activity".equals(a.model())
                        && a.status() == TaskStatus.COMPLETED
                        && a.tasks() == 1
                        && a.inputTokens() > 0),
        activity.toString());
    Orchestrator other = Orchestrator.builder().store(store).nodeId("second-node").build();
    try {
      other.start();
      Waits.until(
          "both nodes alive",
          WAIT,
          () -> orchestrator.nodes().stream().anyMatch(n -> n.nodeId().equals("second-node")));
    } finally {
      other.close();
    }
    assertFalse(
        orchestrator.nodes().stream().anyMatch(n -> n.nodeId().equals("second-node")),
        "a node that shut down is gone at once");
  }

  // ---- bulk actions ----

  private static Orchestrator.Builder withHandlers(Orchestrator.Builder b, String... types) {
    for (String type : types) {
      b.handler(type, ctx -> HandlerResult.of("done"));
    }
    return b;
  }

  private List<Task> submit(int n, String type, Map<String, String> labels) {
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TaskSpec.Builder spec = TaskSpec.builder().type(type).maxAttempts(1);
      labels.forEach(spec::label);
      specs.add(spec.build());
    }
    return orchestrator.submitAll(specs);
  }

  private TaskStatus status(Task t) {
    return orchestrator.get(t.id()).orElseThrow().status();
  }

  @Test
  void cancelAllCancelsTheMatchingTasksOnlyAndCountsThem() {
    // not started: submitted tasks stay QUEUED (or SCHEDULED) until the bulk action
    orchestrator = withHandlers(builder(), "bulk-a", "bulk-b").build();
    List<Task> target = submit(5, "bulk-a", Map.of("team", "x"));
    List<Task> otherLabel = submit(3, "bulk-a", Map.of("team", "y"));
    List<Task> otherType = submit(2, "bulk-b", Map.of("team", "x"));
    Task later =
        orchestrator.submit(
            TaskSpec.builder()
                .type("bulk-a")
                .label("team", "x")
                .delay(Duration.ofHours(1))
                .build());
    assertEquals(TaskStatus.SCHEDULED, later.status());

    TaskQuery queuedA =
        TaskQuery.builder()
            .status(TaskStatus.QUEUED)
            .type("bulk-a")
            .label("team", "x")
            .limit(2) // a page size, not a cap on the total
            .build();
    BulkResult r = orchestrator.cancelAll(queuedA, "clearing team x");
    assertEquals(new BulkResult(5, 5, 0), r);
    for (Task t : target) {
      Task now = orchestrator.get(t.id()).orElseThrow();
      assertEquals(TaskStatus.CANCELLED, now.status());
      assertEquals("clearing team x", now.error().message());
      TaskEvent last = orchestrator.events(t.id()).get(orchestrator.events(t.id()).size() - 1);
      assertEquals(TaskStatus.QUEUED, last.from());
      assertEquals(TaskStatus.CANCELLED, last.to());
      assertEquals("clearing team x", last.reason());
    }
    otherLabel.forEach(t -> assertEquals(TaskStatus.QUEUED, status(t)));
    otherType.forEach(t -> assertEquals(TaskStatus.QUEUED, status(t)));
    assertEquals(TaskStatus.SCHEDULED, status(later));

    assertEquals(new BulkResult(0, 0, 0), orchestrator.cancelAll(queuedA, "again"));
    // without the status filter: the finished ones are matched and skipped, the scheduled one goes
    TaskQuery allA = TaskQuery.builder().type("bulk-a").label("team", "x").build();
    assertEquals(new BulkResult(6, 1, 5), orchestrator.cancelAll(allA, null));
    assertEquals(TaskStatus.CANCELLED, status(later));
    otherLabel.forEach(t -> assertEquals(TaskStatus.QUEUED, status(t)));
    otherType.forEach(t -> assertEquals(TaskStatus.QUEUED, status(t)));
  }

  @Test
  void aBulkActionOfAnOwnerChangesOnlyThatOwnersTasks() {
    orchestrator = withHandlers(builder(), "bulk-owned").build();
    TaskSpec spec = TaskSpec.builder().type("bulk-owned").build();
    List<Task> acme = orchestrator.forOwner("acme").submitAll(List.of(spec, spec, spec));
    List<Task> globex = orchestrator.forOwner("globex").submitAll(List.of(spec, spec));
    // the scope's owner replaces the query's
    TaskQuery askingForGlobex = TaskQuery.builder().type("bulk-owned").owner("globex").build();
    assertEquals(
        new BulkResult(3, 3, 0),
        orchestrator.forOwner("acme").cancelAll(askingForGlobex, "acme only"));
    acme.forEach(t -> assertEquals(TaskStatus.CANCELLED, status(t)));
    globex.forEach(t -> assertEquals(TaskStatus.QUEUED, status(t)));
    assertEquals(
        new BulkResult(0, 0, 0),
        orchestrator
            .forOwner("initech")
            .retryAll(TaskQuery.builder().type("bulk-owned").build(), 1));
    assertEquals(
        new BulkResult(3, 3, 0),
        orchestrator
            .forOwner("acme")
            .retryAll(TaskQuery.builder().status(TaskStatus.CANCELLED).build(), 1));
    acme.forEach(t -> assertEquals(TaskStatus.QUEUED, status(t)));
    // every owner's view keeps the query's owner filter
    assertEquals(
        new BulkResult(2, 2, 0),
        orchestrator.everyOwner().cancelAll(askingForGlobex, "globex only"));
    globex.forEach(t -> assertEquals(TaskStatus.CANCELLED, status(t)));
    acme.forEach(t -> assertEquals(TaskStatus.QUEUED, status(t)));
  }

  @Test
  void retryAllReopensEveryFailedTaskOfATypeInBoundedBatches() throws Exception {
    List<Integer> pageSizes = new CopyOnWriteArrayList<>();
    TaskStore counting =
        new DelegatingTaskStore(store) {
          @Override
          public dev.orchestrator.Page<Task> query(TaskQuery q) {
            pageSizes.add(q.limit());
            return super.query(q);
          }
        };
    start(
        builder(counting)
            .batchSize(4)
            .handler(
                "fails-first",
                ctx -> {
                  if (ctx.task().attempt() == 1) {
                    throw new dev.orchestrator.retry.FatalTaskException("first attempt refused");
                  }
                  return HandlerResult.of("attempt " + ctx.task().attempt());
                })
            .handler(
                "always-fails",
                ctx -> {
                  throw new dev.orchestrator.retry.FatalTaskException("always");
                }));
    List<Task> flaky = submit(25, "fails-first", Map.of());
    List<Task> broken = submit(3, "always-fails", Map.of());
    for (Task t : flaky) {
      assertEquals(TaskStatus.FAILED, done(t.id()).status());
    }
    for (Task t : broken) {
      assertEquals(TaskStatus.FAILED, done(t.id()).status());
    }
    TaskQuery failedFlaky =
        TaskQuery.builder().status(TaskStatus.FAILED).type("fails-first").build();

    InvalidTaskException refused =
        assertThrows(InvalidTaskException.class, () -> orchestrator.retryAll(failedFlaky, 0));
    assertEquals(Problem.BAD_RETRY, refused.problem());
    assertEquals(0, pageSizes.size(), "refused before reading anything");
    flaky.forEach(t -> assertEquals(TaskStatus.FAILED, status(t)));

    assertEquals(new BulkResult(25, 25, 0), orchestrator.retryAll(failedFlaky, 2));
    assertTrue(pageSizes.size() >= 7, "25 tasks in pages of 4: " + pageSizes);
    assertTrue(pageSizes.stream().allMatch(n -> n <= 4), "pages of the batch size: " + pageSizes);
    for (Task t : flaky) {
      Waits.until("the retried task completes", WAIT, () -> status(t) == TaskStatus.COMPLETED);
      Task ended = orchestrator.get(t.id()).orElseThrow();
      assertEquals("attempt 2", ended.output());
      assertEquals(3, ended.maxAttempts(), "a budget of 1, used; two more granted");
      assertTrue(
          orchestrator.events(t.id()).stream()
              .anyMatch(
                  e ->
                      e.from() == TaskStatus.FAILED
                          && e.to() == TaskStatus.QUEUED
                          && e.reason().contains("retry")),
          "the retry is in the audit trail");
    }
    for (Task t : broken) {
      assertEquals(TaskStatus.FAILED, status(t));
      assertEquals(1, orchestrator.attempts(t.id()).size(), "another type is left alone");
    }
    assertEquals(new BulkResult(0, 0, 0), orchestrator.retryAll(failedFlaky, 2));
    // matched but not retryable: COMPLETED tasks are skipped
    assertEquals(
        new BulkResult(25, 0, 25),
        orchestrator.retryAll(TaskQuery.builder().type("fails-first").build(), 1));
  }

  @Test
  void bulkCancelsRacingWorkersEndEveryTaskOnceAndCountEveryTaskOnce() throws Exception {
    start(
        builder()
            .workers(8)
            .batchSize(50)
            .handler(
                "race",
                ctx -> {
                  spin(
                      Duration.ofMillis(
                          java.util.concurrent.ThreadLocalRandom.current().nextInt(3)));
                  return HandlerResult.of("finished");
                }));
    List<Task> tasks = submit(400, "race", Map.of());
    Waits.until(
        "some tasks completed",
        WAIT,
        () ->
            !orchestrator
                .list(
                    TaskQuery.builder().type("race").status(TaskStatus.COMPLETED).limit(1).build())
                .items()
                .isEmpty());
    TaskQuery race = TaskQuery.builder().type("race").build();
    java.util.concurrent.ExecutorService bulk =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    List<BulkResult> results;
    try {
      java.util.concurrent.Future<BulkResult> one =
          bulk.submit(() -> orchestrator.cancelAll(race, "bulk one"));
      java.util.concurrent.Future<BulkResult> two =
          bulk.submit(() -> orchestrator.cancelAll(race, "bulk two"));
      results = List.of(one.get(60, TimeUnit.SECONDS), two.get(60, TimeUnit.SECONDS));
    } finally {
      bulk.shutdownNow();
    }
    int completed = 0;
    int cancelled = 0;
    for (Task t : tasks) {
      Task ended = done(t.id());
      List<TaskEvent> endings =
          orchestrator.events(t.id()).stream()
              .filter(e -> e.isTransition() && e.to().isTerminal())
              .toList();
      assertEquals(1, endings.size(), "one terminal status, once: " + endings);
      assertEquals(ended.status(), endings.get(0).to());
      if (ended.status() == TaskStatus.COMPLETED) {
        completed++;
        assertEquals("finished", ended.output());
      } else {
        assertEquals(TaskStatus.CANCELLED, ended.status(), ended.toString());
        cancelled++;
        assertNull(ended.output(), "a cancelled task keeps no output");
      }
    }
    for (BulkResult r : results) {
      assertEquals(400, r.matched(), "no status filter: every task matches: " + r);
      assertEquals(r.matched(), r.changed() + r.skipped(), r.toString());
    }
    assertEquals(
        cancelled,
        results.get(0).changed() + results.get(1).changed(),
        "each cancel counted once, by the call that won it: " + results);
    assertEquals(400, completed + cancelled);
    assertTrue(completed > 0, "some completed before the cancels: " + results);
  }

  // ---- start times ----

  @Test
  void startTimesNoStoreKeepsAreRefusedBeforeAnythingIsWritten() {
    start(builder());
    List<TaskSpec> refused =
        List.of(
            TaskSpec.prompt("x").runAt(Instant.parse("+100000-01-01T00:00:00Z")).build(),
            TaskSpec.prompt("x").runAt(Instant.MAX).build(),
            TaskSpec.prompt("x").runAt(Instant.MIN).build(),
            TaskSpec.prompt("x").delay(ChronoUnit.YEARS.getDuration().multipliedBy(10_000)).build(),
            TaskSpec.prompt("x").delay(Duration.ofSeconds(Long.MAX_VALUE)).build(),
            TaskSpec.prompt("x").delay(Duration.ofSeconds(-1)).build());
    for (TaskSpec spec : refused) {
      InvalidTaskException e =
          assertThrows(
              InvalidTaskException.class, () -> orchestrator.submit(spec), spec.toString());
      assertEquals(Problem.RUN_AT_OUT_OF_RANGE, e.problem(), e.getMessage());
    }
    InvalidTaskException inBatch =
        assertThrows(
            InvalidTaskException.class,
            () -> orchestrator.submitAll(List.of(TaskSpec.prompt("ok").build(), refused.get(0))));
    assertEquals(Problem.RUN_AT_OUT_OF_RANGE, inBatch.problem());
    assertEquals(1, inBatch.index());
    assertEquals(0, orchestrator.list(TaskQuery.all()).items().size(), "nothing written");

    Task latest =
        orchestrator.submit(
            TaskSpec.prompt("x").runAt(Instant.parse("9999-12-31T23:59:59Z")).build());
    assertEquals(TaskStatus.SCHEDULED, latest.status());
    assertEquals(
        Instant.parse("9999-12-31T23:59:59Z"), orchestrator.get(latest.id()).orElseThrow().runAt());
  }
}
