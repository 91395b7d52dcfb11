package dev.orchestrator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
