package dev.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.IllegalTransitionException;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.retry.FatalTaskException;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.HandlerResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The facade end to end on the embedded defaults. */
class OrchestratorTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private Orchestrator orchestrator;

  private Orchestrator start(Orchestrator.Builder builder) {
    orchestrator = builder.build().start();
    return orchestrator;
  }

  private static Orchestrator.Builder fast() {
    return Orchestrator.builder()
        .workers(4)
        .pollInterval(Duration.ofMillis(50))
        .schedulerMaxIdle(Duration.ofMillis(20))
        .defaultRetryPolicy(RetryPolicy.fixed(Duration.ZERO));
  }

  private Task done(Task t) throws Exception {
    return orchestrator.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @AfterEach
  void close() {
    if (orchestrator != null) {
      orchestrator.close();
    }
  }

  @Test
  void aPromptRunsOnTheMockAndRecordsOutputTokensAttemptAndEvents() throws Exception {
    start(fast());
    Task t = orchestrator.submit(TaskSpec.prompt("Summarise the news").name("news").build());
    Task done = done(t);
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals(MockLlmClient.outputFor("Summarise the news"), done.output());
    assertEquals(MockLlmClient.tokensOf("Summarise the news"), done.usage().inputTokens());
    assertTrue(done.usage().outputTokens() > 0);
    List<Attempt> attempts = orchestrator.attempts(t.id());
    assertEquals(1, attempts.size());
    assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(0).outcome());
    assertEquals(MockLlmClient.DEFAULT_MODEL, attempts.get(0).model());
    assertEquals(orchestrator.nodeId(), attempts.get(0).worker());
    List<TaskStatus> path = orchestrator.events(t.id()).stream().map(TaskEvent::to).toList();
    assertEquals(List.of(TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.COMPLETED), path);
  }

  @Test
  void retryableFailuresRetryThenSucceed() throws Exception {
    start(
        fast().llm(MockLlmClient.builder().failFirst("flaky", 2, ErrorKind.SERVER_ERROR).build()));
    Task done = done(orchestrator.submit(TaskSpec.prompt("flaky call").maxAttempts(3).build()));
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals(3, done.attempt());
    List<AttemptOutcome> outcomes =
        orchestrator.attempts(done.id()).stream().map(Attempt::outcome).toList();
    assertEquals(
        List.of(
            AttemptOutcome.RETRYABLE_FAILURE,
            AttemptOutcome.RETRYABLE_FAILURE,
            AttemptOutcome.SUCCEEDED),
        outcomes);
    assertEquals(ErrorKind.SERVER_ERROR, orchestrator.attempts(done.id()).get(0).error().kind());
  }

  @Test
  void attemptsExhaustedFails() throws Exception {
    start(fast().llm(MockLlmClient.builder().failAlways("down", ErrorKind.TRANSIENT).build()));
    Task done = done(orchestrator.submit(TaskSpec.prompt("down").maxAttempts(2).build()));
    assertEquals(TaskStatus.FAILED, done.status());
    assertEquals(2, done.attempt());
    assertEquals(ErrorKind.TRANSIENT, done.error().kind());
    assertNotNull(done.finishedAt());
  }

  @Test
  void aFatalErrorFailsAtOnce() throws Exception {
    start(
        fast()
            .llm(
                MockLlmClient.builder()
                    .failAlways("forbidden", ErrorKind.CONTENT_REFUSED)
                    .build()));
    Task done =
        done(orchestrator.submit(TaskSpec.prompt("forbidden words").maxAttempts(5).build()));
    assertEquals(TaskStatus.FAILED, done.status());
    assertEquals(1, done.attempt());
    assertEquals(AttemptOutcome.FATAL_FAILURE, orchestrator.attempts(done.id()).get(0).outcome());
  }

  @Test
  void customHandlersGetRetriesFatalityAndParents() throws Exception {
    CopyOnWriteArrayList<String> seen = new CopyOnWriteArrayList<>();
    start(
        fast()
            .handler(
                "upper",
                ctx -> {
                  seen.add(ctx.prompt());
                  return HandlerResult.of(ctx.parents().get(0).output().toUpperCase());
                })
            .handler(
                "broken",
                ctx -> {
                  throw new FatalTaskException("bug in handler");
                }));
    Task parent = done(orchestrator.submit(TaskSpec.prompt("hello").name("p").build()));
    Task child =
        done(
            orchestrator.submit(
                TaskSpec.builder()
                    .type("upper")
                    .prompt("from {{parents.p.output}}")
                    .dependsOn(parent.id())
                    .build()));
    assertEquals(parent.output().toUpperCase(), child.output());
    assertEquals(List.of("from " + parent.output()), seen);
    Task broken = done(orchestrator.submit(TaskSpec.builder().type("broken").build()));
    assertEquals(TaskStatus.FAILED, broken.status());
    assertEquals(ErrorKind.FATAL, broken.error().kind());
    assertEquals(1, broken.attempt());
  }

  @Test
  void chainRendersTheParentIntoTheChildPrompt() throws Exception {
    start(fast());
    Task parent = done(orchestrator.submit(TaskSpec.prompt("Write a haiku").name("haiku").build()));
    Task child =
        orchestrator.chain(
            parent.id(), TaskSpec.prompt("Translate {{parent.name}}: {{parent.output}}").build());
    String expectedPrompt = "Translate haiku: " + parent.output();
    assertEquals(expectedPrompt, child.prompt());
    assertEquals(List.of(parent.id()), child.parentIds());
    assertEquals(parent.id(), child.rootId());
    Task bare = orchestrator.chain(parent.id(), TaskSpec.builder().build());
    assertEquals(parent.output(), bare.prompt());
    Task childDone = done(child);
    assertEquals(MockLlmClient.outputFor(expectedPrompt), childDone.output());
    Task grandchild =
        done(
            orchestrator.chain(childDone.id(), TaskSpec.prompt("Rate: {{parent.output}}").build()));
    Lineage lineage = orchestrator.lineage(grandchild.id());
    assertEquals(
        Set.of(parent.id(), child.id(), bare.id(), grandchild.id()),
        Set.copyOf(lineage.tasks().stream().map(Task::id).toList()));
    assertEquals(3, lineage.edges().size());
    assertEquals(parent.id(), grandchild.rootId());
  }

  @Test
  void chainRefusesAParentThatIsNotCompleted() {
    orchestrator = fast().build(); // not started: the parent stays QUEUED
    Task parent = orchestrator.submit(TaskSpec.prompt("x").build());
    InvalidTaskException e =
        assertThrows(
            InvalidTaskException.class,
            () -> orchestrator.chain(parent.id(), TaskSpec.prompt("y").build()));
    assertEquals(Problem.PARENT_NOT_COMPLETED, e.problem());
    InvalidTaskException unknown =
        assertThrows(
            InvalidTaskException.class,
            () -> orchestrator.chain(java.util.UUID.randomUUID(), TaskSpec.prompt("y").build()));
    assertEquals(Problem.UNKNOWN_PARENT, unknown.problem());
  }

  @Test
  void fanInWaitsForEveryParentAndReadsEachByName() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    start(
        fast()
            .handler(
                "slow",
                ctx -> {
                  release.await();
                  return HandlerResult.of("slow done");
                }));
    Task a = orchestrator.submit(TaskSpec.prompt("part A").name("a").build());
    Task b = orchestrator.submit(TaskSpec.builder().type("slow").name("b").build());
    Task join =
        orchestrator.submit(
            TaskSpec.prompt("Merge {{parents.a.output}} with {{parents.b.output}}")
                .dependsOn(a.id(), b.id())
                .build());
    assertEquals(TaskStatus.PENDING, join.status());
    done(a);
    assertEquals(
        TaskStatus.PENDING, orchestrator.task(join.id()).status(), "one parent still running");
    release.countDown();
    Task merged = done(join);
    String prompt = "Merge " + orchestrator.task(a.id()).output() + " with slow done";
    assertEquals(MockLlmClient.outputFor(prompt), merged.output());
  }

  @Test
  void aFailedParentCancelsItsPendingChildrenWithAReason() throws Exception {
    start(fast().llm(MockLlmClient.builder().failAlways("bad", ErrorKind.INVALID_REQUEST).build()));
    Task parent = orchestrator.submit(TaskSpec.prompt("bad parent").build());
    Task child =
        orchestrator.submit(
            TaskSpec.prompt("next: {{parent.output}}").dependsOn(parent.id()).build());
    Task grandchild = orchestrator.submit(TaskSpec.prompt("after").dependsOn(child.id()).build());
    Task c = done(child);
    assertEquals(TaskStatus.CANCELLED, c.status());
    assertEquals(ErrorKind.CANCELLED, c.error().kind());
    assertTrue(c.error().message().contains(parent.id().toString()), c.error().message());
    assertEquals(TaskStatus.CANCELLED, done(grandchild).status());
  }

  @Test
  void dependsOnAnAlreadyCompletedParentRunsAtOnce() throws Exception {
    start(fast());
    Task parent = done(orchestrator.submit(TaskSpec.prompt("first").build()));
    Task child = done(orchestrator.submit(TaskSpec.builder().dependsOn(parent.id()).build()));
    assertEquals(TaskStatus.COMPLETED, child.status());
    assertEquals(MockLlmClient.outputFor(parent.output()), child.output());
  }

  @Test
  void templatesRenderAndRefuseUnknownNamesAndMissingVariables() throws Exception {
    start(fast().template("greet", "Say hello to {{who}} in {{lang}}"));
    Task t =
        orchestrator.submit(
            TaskSpec.template("greet", Map.of("who", "Ada", "lang", "French")).build());
    assertEquals("Say hello to Ada in French", t.prompt());
    InvalidTaskException unknown =
        assertThrows(
            InvalidTaskException.class,
            () -> orchestrator.submit(TaskSpec.template("nope", Map.of()).build()));
    assertEquals(Problem.UNKNOWN_TEMPLATE, unknown.problem());
    InvalidTaskException missing =
        assertThrows(
            InvalidTaskException.class,
            () -> orchestrator.submit(TaskSpec.template("greet", Map.of("who", "Ada")).build()));
    assertEquals(Problem.MISSING_VARIABLE, missing.problem());
    assertTrue(missing.getMessage().contains("lang"));
    assertEquals(TaskStatus.COMPLETED, done(t).status());
  }

  @Test
  void badInputIsRefusedBeforeAnythingIsWritten() {
    orchestrator = fast().limits(new dev.orchestrator.runtime.Limits(100, 5, 10)).build();
    record Case(TaskSpec spec, Problem problem) {}
    List<Case> cases =
        List.of(
            new Case(TaskSpec.prompt("").build(), Problem.EMPTY_PROMPT),
            new Case(TaskSpec.prompt("   ").build(), Problem.EMPTY_PROMPT),
            new Case(TaskSpec.builder().build(), Problem.EMPTY_PROMPT),
            new Case(TaskSpec.prompt("x".repeat(101)).build(), Problem.PROMPT_TOO_LONG),
            new Case(
                TaskSpec.prompt("x").maxAttempts(0).build(), Problem.MAX_ATTEMPTS_OUT_OF_RANGE),
            new Case(
                TaskSpec.prompt("x").maxAttempts(11).build(), Problem.MAX_ATTEMPTS_OUT_OF_RANGE),
            new Case(
                TaskSpec.prompt("x").priority(2_000_000).build(), Problem.PRIORITY_OUT_OF_RANGE),
            new Case(TaskSpec.prompt("x").timeout(Duration.ZERO).build(), Problem.BAD_TIMEOUT),
            new Case(TaskSpec.prompt("x").name(" ").build(), Problem.BAD_FIELD),
            new Case(TaskSpec.prompt("x").name("n".repeat(201)).build(), Problem.BAD_FIELD),
            new Case(TaskSpec.prompt("nul\u0000byte").build(), Problem.BAD_FIELD),
            new Case(
                TaskSpec.prompt("x").dependsOn(java.util.UUID.randomUUID()).build(),
                Problem.UNKNOWN_PARENT),
            new Case(TaskSpec.builder().type("nobody-handles-this").build(), Problem.UNKNOWN_TYPE),
            new Case(TaskSpec.prompt("{{parent.output}}").build(), Problem.MISSING_VARIABLE));
    for (Case c : cases) {
      InvalidTaskException e =
          assertThrows(
              InvalidTaskException.class, () -> orchestrator.submit(c.spec()), c.toString());
      assertEquals(c.problem(), e.problem(), c.spec().toString());
    }
    InvalidTaskException tooMany =
        assertThrows(
            InvalidTaskException.class,
            () ->
                orchestrator.submitAll(
                    java.util.Collections.nCopies(6, TaskSpec.prompt("x").build())));
    assertEquals(Problem.BATCH_TOO_LARGE, tooMany.problem());
    assertEquals(0, orchestrator.list(TaskQuery.all()).items().size(), "nothing may be written");
  }

  @Test
  void aBatchWithOneBadSpecWritesNothing() {
    orchestrator = fast().build();
    List<TaskSpec> batch =
        List.of(
            TaskSpec.prompt("ok 1").build(),
            TaskSpec.prompt("ok 2").build(),
            TaskSpec.prompt("").build());
    InvalidTaskException e =
        assertThrows(InvalidTaskException.class, () -> orchestrator.submitAll(batch));
    assertEquals(2, e.index());
    assertEquals(0, orchestrator.list(TaskQuery.all()).items().size());
    List<Task> ok = orchestrator.submitAll(batch.subList(0, 2));
    assertEquals(2, orchestrator.list(TaskQuery.all()).items().size());
    assertEquals(List.of("ok 1", "ok 2"), ok.stream().map(Task::prompt).toList());
  }

  @Test
  void aRepeatedIdempotencyKeyReturnsTheSameTask() {
    orchestrator = fast().build();
    Task first = orchestrator.submit(TaskSpec.prompt("once").idempotencyKey("order-42").build());
    Task again = orchestrator.submit(TaskSpec.prompt("twice?").idempotencyKey("order-42").build());
    assertEquals(first.id(), again.id());
    assertEquals("once", again.prompt());
    assertEquals(1, orchestrator.list(TaskQuery.all()).items().size());
  }

  @Test
  void scheduledTasksWaitForTheirTime() throws Exception {
    start(fast());
    Task later =
        orchestrator.submit(TaskSpec.prompt("later").delay(Duration.ofMillis(300)).build());
    assertEquals(TaskStatus.SCHEDULED, later.status());
    Task done = done(later);
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertFalse(done.startedAt().isBefore(later.runAt()), "started before its runAt");
  }

  @Test
  void cancellingARunningTaskInterruptsItAndKeepsItCancelled() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    start(
        fast()
            .handler(
                "long",
                ctx -> {
                  started.countDown();
                  Thread.sleep(60_000);
                  return HandlerResult.of("never");
                }));
    Task t = orchestrator.submit(TaskSpec.builder().type("long").build());
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertEquals(1, orchestrator.runningCount());
    Task cancelled = orchestrator.cancel(t.id(), "user changed their mind");
    assertEquals(TaskStatus.CANCELLED, cancelled.status());
    assertEquals("user changed their mind", cancelled.error().message());
    dev.orchestrator.testing.Waits.until(
        "worker freed", WAIT, () -> orchestrator.attempts(t.id()).size() == 1);
    Attempt a = orchestrator.attempts(t.id()).get(0);
    assertEquals(AttemptOutcome.CANCELLED, a.outcome());
    assertEquals(TaskStatus.CANCELLED, orchestrator.task(t.id()).status());
    dev.orchestrator.testing.Waits.until(
        "the worker let go", WAIT, () -> orchestrator.runningCount() == 0);
    // cancelling again changes nothing
    assertEquals(cancelled.version(), orchestrator.cancel(t.id()).version());
  }

  @Test
  void timeoutStopsTheAttemptAndRetries() throws Exception {
    start(
        fast()
            .handler(
                "sleepy",
                ctx -> {
                  if (ctx.task().attempt() == 1) {
                    Thread.sleep(60_000);
                  }
                  return HandlerResult.of("woke up");
                }));
    Task done =
        done(
            orchestrator.submit(
                TaskSpec.builder().type("sleepy").timeout(Duration.ofMillis(100)).build()));
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals(AttemptOutcome.TIMED_OUT, orchestrator.attempts(done.id()).get(0).outcome());
    assertEquals(ErrorKind.TIMEOUT, orchestrator.attempts(done.id()).get(0).error().kind());
  }

  @Test
  void explicitRetryReopensAFailedTaskWithANewBudget() throws Exception {
    start(fast().llm(MockLlmClient.builder().failFirst("twice", 2, ErrorKind.TRANSIENT).build()));
    Task failed = done(orchestrator.submit(TaskSpec.prompt("twice").maxAttempts(1).build()));
    assertEquals(TaskStatus.FAILED, failed.status());
    Task reopened = orchestrator.retry(failed.id(), 2);
    assertEquals(TaskStatus.QUEUED, reopened.status());
    assertEquals(3, reopened.maxAttempts());
    assertNull(reopened.error());
    Task done = done(reopened);
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals(3, done.attempt());
    assertThrows(IllegalTransitionException.class, () -> orchestrator.retry(done.id(), 1));
  }

  @Test
  void progressAndListenersSeeEveryEvent() throws Exception {
    CopyOnWriteArrayList<TaskEvent> heard = new CopyOnWriteArrayList<>();
    start(
        fast()
            .listener(heard::add)
            .handler(
                "steps",
                ctx -> {
                  ctx.progress(0.5, "half way");
                  return HandlerResult.of("done");
                }));
    Task t = done(orchestrator.submit(TaskSpec.builder().type("steps").build()));
    dev.orchestrator.testing.Waits.until(
        "terminal event heard",
        WAIT,
        () ->
            heard.stream()
                .anyMatch(e -> e.taskId().equals(t.id()) && e.to() == TaskStatus.COMPLETED));
    assertTrue(heard.stream().anyMatch(e -> e.reason().equals("progress 50%: half way")));
    assertTrue(
        orchestrator.events(t.id()).stream()
            .anyMatch(e -> e.reason().equals("progress 50%: half way")));
  }

  @Test
  void ownersNeverSeeEachOthersTasks() {
    orchestrator = fast().build();
    OwnerScope acme = orchestrator.forOwner("acme");
    OwnerScope globex = orchestrator.forOwner("globex");
    Task mine = acme.submit(TaskSpec.prompt("acme work").build());
    assertEquals("acme", mine.owner());
    assertTrue(globex.get(mine.id()).isEmpty());
    assertThrows(TaskNotFoundException.class, () -> globex.cancel(mine.id(), "x"));
    assertThrows(TaskNotFoundException.class, () -> globex.events(mine.id()));
    assertEquals(
        Problem.UNKNOWN_PARENT,
        assertThrows(
                InvalidTaskException.class,
                () -> globex.submit(TaskSpec.prompt("y").dependsOn(mine.id()).build()))
            .problem());
    assertEquals(
        Problem.BAD_FIELD,
        assertThrows(
                InvalidTaskException.class,
                () -> globex.submit(TaskSpec.prompt("y").owner("acme").build()))
            .problem());
    assertEquals(0, globex.list(TaskQuery.all()).items().size());
    assertEquals(1, acme.list(TaskQuery.all()).items().size());
    assertEquals(TaskStatus.QUEUED, orchestrator.task(mine.id()).status());
  }

  @Test
  void closeReleasesRunningTasksWithoutCountingTheAttempt() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    Orchestrator node =
        fast()
            .shutdownGrace(Duration.ofMillis(100))
            .handler(
                "forever",
                ctx -> {
                  started.countDown();
                  Thread.sleep(60_000);
                  return HandlerResult.of("x");
                })
            .build()
            .start();
    Task t = node.submit(TaskSpec.builder().type("forever").build());
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    node.close();
    Task released = node.task(t.id());
    assertEquals(TaskStatus.QUEUED, released.status());
    assertEquals(0, released.attempt());
    assertEquals(List.of(), node.attempts(t.id()));
  }

  @Test
  void workersRunOnVirtualThreadsWhereTheJvmHasThem() throws Exception {
    start(
        fast()
            .handler(
                "where",
                ctx -> HandlerResult.of(String.valueOf(isVirtual(Thread.currentThread())))));
    Task done = done(orchestrator.submit(TaskSpec.builder().type("where").build()));
    assertEquals(String.valueOf(Runtime.version().feature() >= 21), done.output());
  }

  private static boolean isVirtual(Thread thread) {
    try {
      return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
    } catch (ReflectiveOperationException e) {
      return false; // Java 17: no virtual threads
    }
  }

  @Test
  void awaitCompletesForATaskThatRanOnANodeWhoseEventsItNeverHears() throws Exception {
    dev.orchestrator.memory.InMemoryTaskStore store =
        new dev.orchestrator.memory.InMemoryTaskStore();
    dev.orchestrator.memory.InMemoryTaskQueue queue =
        new dev.orchestrator.memory.InMemoryTaskQueue();
    // the submitting node runs no workers and has a bus of its own: only the store links the two
    orchestrator = fast().store(store).queue(queue).build();
    try (Orchestrator worker = fast().store(store).queue(queue).build().start()) {
      Task t = orchestrator.submit(TaskSpec.prompt("far away").build());
      assertEquals(TaskStatus.COMPLETED, done(t).status());
    }
  }

  @Test
  void closingFailsTheFuturesOfTasksStillRunning() {
    orchestrator = fast().build(); // never started: the task stays QUEUED
    Task t = orchestrator.submit(TaskSpec.prompt("never runs").build());
    java.util.concurrent.CompletableFuture<Task> future = orchestrator.await(t.id());
    orchestrator.close();
    java.util.concurrent.ExecutionException e =
        assertThrows(
            java.util.concurrent.ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof OrchestratorException);
  }

  @Test
  void retentionDeletesFinishedTasksOnceTheyAreOldEnough() throws Exception {
    dev.orchestrator.spi.ManualClock clock = dev.orchestrator.spi.ManualClock.startingNow();
    start(
        fast()
            .clock(clock)
            .retention(Duration.ofHours(1))
            .reconcileInterval(Duration.ofMillis(20)));
    Task finished = done(orchestrator.submit(TaskSpec.prompt("old news").build()));
    Task waiting = orchestrator.submit(TaskSpec.prompt("later").delay(Duration.ofDays(1)).build());
    clock.advance(Duration.ofMinutes(59));
    assertEquals(0, orchestrator.purge(Duration.ofHours(1)), "not old enough yet");
    clock.advance(Duration.ofMinutes(2));
    dev.orchestrator.testing.Waits.until(
        "finished task purged", WAIT, () -> orchestrator.get(finished.id()).isEmpty());
    assertEquals(
        TaskStatus.SCHEDULED, orchestrator.task(waiting.id()).status(), "only terminal tasks go");
  }

  @Test
  void outputsAndReasonsThatNoStoreCanKeepAreMadeStorable() throws Exception {
    start(fast().handler("nul", ctx -> HandlerResult.of("a\u0000b\uD800c")));
    Task done = done(orchestrator.submit(TaskSpec.builder().type("nul").build()));
    assertEquals("a\uFFFDb\uFFFDc", done.output());
    Task other = orchestrator.submit(TaskSpec.prompt("x").delay(Duration.ofDays(1)).build());
    assertEquals("why\uFFFD", orchestrator.cancel(other.id(), "why\u0000").error().message());
    assertEquals(
        Problem.BAD_FIELD,
        assertThrows(
                InvalidTaskException.class,
                () -> orchestrator.submit(TaskSpec.prompt("lone \uDC00").build()))
            .problem());
  }

  @Test
  void logsOfARunCarryTheTaskAttemptAndOwnerInTheMdc() throws Exception {
    start(
        fast()
            .handler(
                "mdc",
                ctx ->
                    HandlerResult.of(
                        org.slf4j.MDC.get("taskId")
                            + "/"
                            + org.slf4j.MDC.get("attempt")
                            + "/"
                            + org.slf4j.MDC.get("owner"))));
    Task t = orchestrator.forOwner("acme").submit(TaskSpec.builder().type("mdc").build());
    assertEquals(t.id() + "/1/acme", done(t).output());
  }
}
