package dev.orchestrator.testing;

import static dev.orchestrator.testing.TestTasks.ROUTE;
import static dev.orchestrator.testing.TestTasks.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.CallOptions;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.Lineage;
import dev.orchestrator.Page;
import dev.orchestrator.Task;
import dev.orchestrator.TaskError;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.UsageTotal;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.schedule.MisfirePolicy;
import dev.orchestrator.schedule.Recurrence;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.Route;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spi.TaskUpdate;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TaskStore} must do. A store module's test extends it and supplies a fresh,
 * empty store; the in-memory store, PostgreSQL and any future store pass the same suite.
 */
public abstract class TaskStoreContract {
  protected TaskStore store;

  /** A new store with no tasks. */
  protected abstract TaskStore newStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private static Lease lease(String owner, Instant now) {
    return new Lease(owner, now, now.plusSeconds(30));
  }

  private Task insert(Task t) {
    return store.insert(List.of(t)).get(0);
  }

  // ---- insert and read ----

  @Test
  void insertedTaskReadsBackWithEveryField() {
    Task t =
        TestTasks.builder(TaskStatus.QUEUED)
            .name("naïve 'name'; DROP TABLE tasks; -- 🚀")
            .prompt("Ünïcödé prompt with \"quotes\", back\\slash, 100% _like_ and emoji 🤖\nline 2")
            .model("gpt-x")
            .options(new CallOptions("be brief", 0.3, 256))
            .priority(7)
            .maxAttempts(5)
            .timeout(Duration.ofSeconds(42))
            .retryPolicy(new RetryPolicy(Duration.ofMillis(250), 3.0, Duration.ofSeconds(9)))
            .idempotencyKey("key-1")
            .awaiting("approval ✓")
            .owner("tenant-ä")
            .labels(Map.of("team", "search", "quote'", "va\"lue"))
            .build();
    insert(t);
    Task read = store.get(t.id()).orElseThrow();
    assertEquals(t, read);
  }

  @Test
  void getOfUnknownIdIsEmpty() {
    assertTrue(store.get(UUID.randomUUID()).isEmpty());
    assertEquals(List.of(), store.getAll(List.of(UUID.randomUUID())));
  }

  @Test
  void batchInsertWritesEveryTaskAndACreationEvent() {
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      batch.add(TestTasks.queued());
    }
    List<Task> stored = store.insert(batch);
    for (int i = 0; i < batch.size(); i++) {
      // one owner's batch queued at once: the store gives each its turn, one spacing apart
      Instant turn = T0.plus(TaskStore.TURN_SPACING.multipliedBy(i));
      assertEquals(batch.get(i).toBuilder().turn(turn).build(), stored.get(i));
      assertEquals(stored.get(i), store.get(batch.get(i).id()).orElseThrow());
    }
    List<TaskEvent> events = store.events(batch.get(17).id());
    assertEquals(1, events.size());
    assertNull(events.get(0).from());
    assertEquals(TaskStatus.QUEUED, events.get(0).to());
  }

  @Test
  void aBatchThatFailsWritesNothing() {
    Task existing = insert(TestTasks.queued());
    Task fresh = TestTasks.queued();
    // the second task reuses an existing id: the store must refuse the batch as a whole
    Task clash = existing.toBuilder().name("clash").build();
    assertThrows(RuntimeException.class, () -> store.insert(List.of(fresh, clash)));
    assertTrue(store.get(fresh.id()).isEmpty(), "first task of a failed batch was written");
    assertEquals(existing.name(), store.get(existing.id()).orElseThrow().name());
  }

  @Test
  void repeatedIdempotencyKeyReturnsTheExistingTaskPerOwner() {
    Task first = insert(TestTasks.builder(TaskStatus.QUEUED).idempotencyKey("k").build());
    Task again = TestTasks.builder(TaskStatus.QUEUED).idempotencyKey("k").build();
    Task otherOwner =
        TestTasks.builder(TaskStatus.QUEUED).idempotencyKey("k").owner("someone-else").build();
    List<Task> stored = store.insert(List.of(again, otherOwner));
    assertEquals(first.id(), stored.get(0).id());
    assertEquals(otherOwner.id(), stored.get(1).id());
    assertTrue(store.get(again.id()).isEmpty());
  }

  @Test
  void repeatedKeyInsideOneBatchInsertsOnce() {
    Task a = TestTasks.builder(TaskStatus.QUEUED).idempotencyKey("same").build();
    Task b = TestTasks.builder(TaskStatus.QUEUED).idempotencyKey("same").build();
    List<Task> stored = store.insert(List.of(a, b));
    assertEquals(a.id(), stored.get(0).id());
    assertEquals(a.id(), stored.get(1).id());
    assertTrue(store.get(b.id()).isEmpty());
  }

  @Test
  void concurrentSubmitsOfOneKeyCreateOneTask() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<UUID>> results = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      results.add(
          pool.submit(
              () -> {
                go.await();
                return store
                    .insert(
                        List.of(
                            TestTasks.builder(TaskStatus.QUEUED).idempotencyKey("race").build()))
                    .get(0)
                    .id();
              }));
    }
    go.countDown();
    Set<UUID> ids = new HashSet<>();
    for (Future<UUID> f : results) {
      ids.add(f.get(30, TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertEquals(1, ids.size(), "one key, one task");
  }

  // ---- compare-and-set ----

  @Test
  void updateIsACompareAndSetOnStatusAndVersion() {
    Task t = insert(TestTasks.queued());
    Task cancelled =
        t.toBuilder().status(TaskStatus.CANCELLED).updatedAt(T0.plusSeconds(1)).build();
    Optional<Task> done = store.update(new TaskUpdate(t, cancelled, null, "test"));
    assertTrue(done.isPresent());
    assertEquals(1, done.get().version());
    assertEquals(TaskStatus.CANCELLED, store.get(t.id()).orElseThrow().status());
    // the same expectation again is stale now
    Task retried = t.toBuilder().status(TaskStatus.RUNNING).build();
    assertTrue(store.update(new TaskUpdate(t, retried, null, "stale")).isEmpty());
    assertEquals(TaskStatus.CANCELLED, store.get(t.id()).orElseThrow().status());
  }

  @Test
  void updateAllAppliesEachCompareAndSetOnItsOwn() {
    List<Task> tasks =
        store.insert(List.of(TestTasks.queued(), TestTasks.queued(), TestTasks.queued()));
    List<Task> running = store.claim(tasks.stream().map(Task::id).toList(), lease("a", T0));
    Task stale = running.get(1).toBuilder().version(99).build();
    Instant end = T0.plusSeconds(1);
    List<TaskUpdate> updates = new ArrayList<>();
    for (Task t : List.of(running.get(0), stale, running.get(2))) {
      Task done =
          t.toBuilder()
              .status(TaskStatus.COMPLETED)
              .output("out " + t.id())
              .updatedAt(end)
              .finishedAt(end)
              .noLease()
              .build();
      Attempt rec =
          new Attempt(
              t.id(), 1, "a", T0, end, AttemptOutcome.SUCCEEDED, null, null, null, done.output());
      updates.add(new TaskUpdate(t, done, rec, "done"));
    }
    List<Optional<Task>> results = store.updateAll(updates);
    assertEquals(3, results.size());
    assertTrue(results.get(0).isPresent());
    assertTrue(results.get(1).isEmpty(), "a stale version must lose");
    assertTrue(results.get(2).isPresent());
    assertEquals(results.get(2).get(), store.get(running.get(2).id()).orElseThrow());
    assertEquals(2, results.get(0).get().version());
    assertEquals(TaskStatus.RUNNING, store.get(running.get(1).id()).orElseThrow().status());
    assertEquals(List.of(), store.attempts(running.get(1).id()));
    assertEquals(1, store.attempts(running.get(2).id()).size());
    TaskEvent last =
        store.events(running.get(0).id()).get(store.events(running.get(0).id()).size() - 1);
    assertEquals(TaskStatus.COMPLETED, last.to());
    assertEquals(List.of(), store.updateAll(List.of()));
  }

  @Test
  void updateWithAStaleVersionFails() {
    Task t = insert(TestTasks.queued());
    Task stale = t.toBuilder().version(5).build();
    Task next = stale.toBuilder().status(TaskStatus.CANCELLED).build();
    assertTrue(store.update(new TaskUpdate(stale, next, null, "x")).isEmpty());
    assertEquals(0, store.get(t.id()).orElseThrow().version());
  }

  @Test
  void finishingWritesTaskAttemptAndEventTogether() {
    insert(TestTasks.queued());
    Task running = store.claimNext(1, lease("node-a", T0), ROUTE).get(0);
    Instant end = T0.plusMillis(1500);
    Usage usage = new Usage(12, 34, new BigDecimal("0.00012345"));
    Task done =
        running.toBuilder()
            .status(TaskStatus.COMPLETED)
            .output("the answer: 42 ✓")
            .usage(usage)
            .updatedAt(end)
            .finishedAt(end)
            .noLease()
            .build();
    Attempt record =
        new Attempt(
            running.id(),
            1,
            "node-a",
            running.startedAt(),
            end,
            AttemptOutcome.SUCCEEDED,
            null,
            "gpt-x",
            usage,
            "the answer: 42 ✓");
    Task stored =
        store.update(new TaskUpdate(running, done, record, "attempt 1 succeeded")).orElseThrow();
    assertEquals(TaskStatus.COMPLETED, stored.status());
    assertEquals(stored, store.get(running.id()).orElseThrow());
    assertEquals(List.of(record), store.attempts(running.id()));
    assertEquals(Duration.ofMillis(1500), store.attempts(running.id()).get(0).latency());
    List<TaskEvent> events = store.events(running.id());
    TaskEvent last = events.get(events.size() - 1);
    assertEquals(TaskStatus.RUNNING, last.from());
    assertEquals(TaskStatus.COMPLETED, last.to());
    assertEquals("attempt 1 succeeded", last.reason());
  }

  @Test
  void racingWritersNeverBothWin() throws Exception {
    int tasks = 200;
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      batch.add(TestTasks.queued());
    }
    store.insert(batch);
    int threads = 6;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    Map<UUID, AtomicInteger> wins = new ConcurrentHashMap<>();
    List<Future<?>> futures = new ArrayList<>();
    for (int w = 0; w < threads; w++) {
      final TaskStatus target = w % 2 == 0 ? TaskStatus.CANCELLED : TaskStatus.RUNNING;
      futures.add(
          pool.submit(
              () -> {
                go.await();
                for (Task t : batch) {
                  Task next = t.toBuilder().status(target).updatedAt(T0.plusSeconds(1)).build();
                  if (store.update(new TaskUpdate(t, next, null, "race")).isPresent()) {
                    wins.computeIfAbsent(t.id(), k -> new AtomicInteger()).incrementAndGet();
                  }
                }
                return null;
              }));
    }
    go.countDown();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertEquals(tasks, wins.size());
    wins.values().forEach(n -> assertEquals(1, n.get(), "two writers won one compare-and-set"));
    for (Task t : batch) {
      assertEquals(1, store.get(t.id()).orElseThrow().version());
    }
  }

  // ---- claims and leases ----

  @Test
  void claimNextTakesHighestPriorityThenEarliestTurnThenOldest() {
    Task low = insert(TestTasks.builder(TaskStatus.QUEUED).priority(-1).build());
    Task late =
        insert(TestTasks.builder(TaskStatus.QUEUED).owner("a").runAt(T0.plusSeconds(5)).build());
    Task early = insert(TestTasks.builder(TaskStatus.QUEUED).owner("b").runAt(T0).build());
    Task high = insert(TestTasks.builder(TaskStatus.QUEUED).priority(10).build());
    insert(TestTasks.scheduled(T0.plusSeconds(60)));
    List<UUID> order = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      store.claimNext(1, lease("n", T0), ROUTE).forEach(t -> order.add(t.id()));
    }
    assertEquals(List.of(high.id(), early.id(), late.id(), low.id()), order);
  }

  // ---- spawning ----

  private Task child(Task parent, String name) {
    return TestTasks.builder(TaskStatus.PENDING)
        .name(name)
        .parentIds(List.of(parent.id()))
        .rootId(parent.rootId())
        .build();
  }

  @Test
  void aChangeThatWinsWritesItsSpawnedTasksAndOneThatLosesWritesNone() {
    Task a = insert(TestTasks.queued());
    Task b = insert(TestTasks.queued());
    List<Task> running = store.claimNext(2, lease("n", T0), ROUTE);
    Task ra = running.stream().filter(t -> t.id().equals(a.id())).findFirst().orElseThrow();
    Task rb = running.stream().filter(t -> t.id().equals(b.id())).findFirst().orElseThrow();
    Task aWins = child(a, "of-a-1");
    Task aWins2 = child(a, "of-a-2");
    Task bLoses = child(b, "of-b");
    TaskUpdate completeA =
        new TaskUpdate(
            ra,
            ra.toBuilder().status(TaskStatus.COMPLETED).output("ok").noLease().build(),
            null,
            "done",
            List.of(aWins, aWins2));
    // b's completion expects a version it no longer has: it loses, and so does its child
    TaskUpdate completeB =
        new TaskUpdate(
            rb.toBuilder().version(rb.version() - 1).build(),
            rb.toBuilder().status(TaskStatus.COMPLETED).output("ok").noLease().build(),
            null,
            "done",
            List.of(bLoses));
    List<Optional<Task>> results = store.updateAll(List.of(completeA, completeB));
    assertTrue(results.get(0).isPresent());
    assertTrue(results.get(1).isEmpty());
    assertEquals(TaskStatus.PENDING, store.get(aWins.id()).orElseThrow().status());
    assertEquals(TaskStatus.PENDING, store.get(aWins2.id()).orElseThrow().status());
    assertTrue(store.get(bLoses.id()).isEmpty(), "the loser's child was written");
    assertEquals(
        Set.of(aWins.id(), aWins2.id()),
        Set.copyOf(store.pendingChildren(List.of(a.id())).stream().map(Task::id).toList()));
    assertEquals(1, store.events(aWins.id()).size(), "a creation event");
    // a lone update loses the same way
    Task lone = child(b, "of-b-again");
    assertTrue(
        store
            .update(
                new TaskUpdate(
                    ra,
                    ra.toBuilder().status(TaskStatus.FAILED).noLease().build(),
                    null,
                    "x",
                    List.of(lone)))
            .isEmpty());
    assertTrue(store.get(lone.id()).isEmpty());
  }

  // ---- turns ----

  private List<Task> queuedOf(String owner, int n, Instant runAt) {
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      batch.add(TestTasks.builder(TaskStatus.QUEUED).owner(owner).runAt(runAt).build());
    }
    return store.insert(batch);
  }

  private List<UUID> claimAllOneByOne() {
    List<UUID> order = new ArrayList<>();
    List<Task> claimed;
    while (!(claimed = store.claimNext(1, lease("n", T0), ROUTE)).isEmpty()) {
      order.add(claimed.get(0).id());
    }
    return order;
  }

  @Test
  void anOwnersBacklogTakesTurnsWithTheTasksOfOtherOwners() {
    List<Task> a = queuedOf("a", 100, T0);
    Task b = queuedOf("b", 1, T0.plusSeconds(30)).get(0);
    List<Task> c = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      c.addAll(queuedOf("c", 1, T0.plusSeconds(30)));
    }
    for (int i = 0; i < a.size(); i++) {
      assertEquals(T0.plusSeconds(i), a.get(i).turn(), "a's backlog is spaced one turn apart");
    }
    assertEquals(T0, b.turn(), "a lone task's turn is the lane's first, not its later runAt");
    assertEquals(
        List.of(T0, T0.plusSeconds(1), T0.plusSeconds(2)), c.stream().map(Task::turn).toList());
    for (Task t : c) {
      assertEquals(t.turn(), store.get(t.id()).orElseThrow().turn(), "the turn is stored");
    }
    List<UUID> expected = new ArrayList<>();
    expected.add(a.get(0).id());
    expected.add(b.id());
    expected.add(c.get(0).id());
    for (int i = 1; i < a.size(); i++) {
      expected.add(a.get(i).id());
      if (i < c.size()) {
        expected.add(c.get(i).id());
      }
    }
    assertEquals(expected, claimAllOneByOne());
  }

  @Test
  void aKeyedTaskWithRoomIsNotPreferredToAnUnkeyedOneWithAnEarlierTurn() {
    Task keyed =
        insert(
            TestTasks.builder(TaskStatus.QUEUED)
                .owner("k")
                .runAt(T0.plusSeconds(5))
                .concurrency("doc-1", 1)
                .build());
    Task free = insert(TestTasks.builder(TaskStatus.QUEUED).owner("u").runAt(T0).build());
    assertEquals(List.of(free.id()), ids(store.claimNext(1, lease("n", T0), ROUTE)));
    assertEquals(List.of(keyed.id()), ids(store.claimNext(1, lease("n", T0), ROUTE)));
  }

  private static List<UUID> ids(List<Task> tasks) {
    return tasks.stream().map(Task::id).toList();
  }

  @Test
  void aBacklogThatWasClaimedNoLongerPushesItsOwnersNextTask() {
    queuedOf("a", 10, T0);
    assertEquals(10, claimAllOneByOne().size());
    Task next = queuedOf("a", 1, T0.plusSeconds(3)).get(0);
    assertEquals(T0.plusSeconds(3), next.turn());
  }

  @Test
  void turnsAreKeptPerLaneAndPriorityAndOnlyForTasksQueuedAtInsert() {
    queuedOf("a", 20, T0);
    Task urgent =
        store
            .insert(List.of(TestTasks.builder(TaskStatus.QUEUED).owner("a").priority(5).build()))
            .get(0);
    Task otherType =
        store
            .insert(List.of(TestTasks.builder(TaskStatus.QUEUED).owner("a").type("verify").build()))
            .get(0);
    Task later =
        store
            .insert(
                List.of(
                    TestTasks.builder(TaskStatus.SCHEDULED)
                        .owner("a")
                        .runAt(T0.plusSeconds(2))
                        .build()))
            .get(0);
    assertEquals(T0, urgent.turn());
    assertEquals(T0, otherType.turn());
    assertEquals(T0.plusSeconds(2), later.turn());
    assertEquals(urgent.id(), store.claimNext(1, lease("n", T0), ROUTE).get(0).id());
  }

  @Test
  void claimNextTakesOnlyTheRoutesLanesInOneOrderAcrossThem() {
    Task verifyHigh =
        insert(TestTasks.builder(TaskStatus.QUEUED).type("verify").priority(5).build());
    Task llmEarly = insert(TestTasks.builder(TaskStatus.QUEUED).runAt(T0).build());
    Task verifyLate =
        insert(
            TestTasks.builder(TaskStatus.QUEUED).type("verify").runAt(T0.plusSeconds(9)).build());
    Task gpu = insert(TestTasks.builder(TaskStatus.QUEUED).queue("gpu").priority(9).build());
    List<Task> others = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      others.add(TestTasks.builder(TaskStatus.QUEUED).type("embed").priority(9).build());
    }
    store.insert(others);

    Route route = new Route(Set.of(Task.DEFAULT_QUEUE), Set.of(Task.LLM_TYPE, "verify"));
    List<UUID> order = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      store.claimNext(1, lease("n", T0), route).forEach(t -> order.add(t.id()));
    }
    assertEquals(List.of(verifyHigh.id(), llmEarly.id(), verifyLate.id()), order);
    assertEquals(
        List.of(gpu.id()),
        store.claimNext(5, lease("g", T0), new Route(Set.of("gpu"), Set.of(Task.LLM_TYPE))).stream()
            .map(Task::id)
            .toList());
    assertEquals(List.of(), store.claimNext(5, lease("n", T0), route), "other lanes untouched");
    assertEquals(30, store.claimNext(50, lease("e", T0), Route.of("embed")).size());
  }

  @Test
  void aBatchClaimAcrossLanesTakesTheBestOfAllOfThem() {
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batch.add(
          TestTasks.builder(TaskStatus.QUEUED)
              .type(i % 2 == 0 ? "a" : "b")
              .queue(i % 4 < 2 ? Task.DEFAULT_QUEUE : "q2")
              .priority(i % 5)
              .runAt(T0.plusMillis(i))
              .build());
    }
    List<Task> stored = store.insert(batch);
    Route route = new Route(Set.of(Task.DEFAULT_QUEUE, "q2"), Set.of("a", "b"));
    List<UUID> expected =
        stored.stream()
            .sorted(
                java.util.Comparator.comparingInt(Task::priority)
                    .reversed()
                    .thenComparing(Task::runAt)
                    .thenComparing(Task::id))
            .limit(15)
            .map(Task::id)
            .toList();
    List<UUID> claimed = store.claimNext(15, lease("n", T0), route).stream().map(Task::id).toList();
    assertEquals(Set.copyOf(expected), Set.copyOf(claimed));
    assertEquals(15, claimed.size());
  }

  @Test
  void aPausedTaskIsNotClaimedUntilResumedAndKeepsItsPlace() {
    Task first = insert(TestTasks.builder(TaskStatus.QUEUED).runAt(T0).build());
    Task second = insert(TestTasks.builder(TaskStatus.QUEUED).runAt(T0.plusSeconds(1)).build());
    Task paused =
        store
            .update(new TaskUpdate(first, first.toBuilder().paused(true).build(), null, "paused"))
            .orElseThrow();
    assertTrue(paused.paused());
    assertEquals(TaskStatus.QUEUED, paused.status());
    assertEquals(first.version() + 1, paused.version());
    assertEquals("paused", store.events(first.id()).get(1).reason());
    assertEquals(List.of(), store.claim(List.of(first.id()), lease("n", T0)));
    assertEquals(
        List.of(second.id()),
        store.claimNext(5, lease("n", T0), ROUTE).stream().map(Task::id).toList());
    Task resumed =
        store
            .update(
                new TaskUpdate(paused, paused.toBuilder().paused(false).build(), null, "resumed"))
            .orElseThrow();
    assertFalse(resumed.paused());
    assertEquals(
        List.of(first.id()),
        store.claimNext(5, lease("n", T0), ROUTE).stream().map(Task::id).toList());
    assertThrows(
        dev.orchestrator.lifecycle.IllegalTransitionException.class,
        () -> new TaskUpdate(resumed, resumed.toBuilder().paused(false).build(), null, "again"),
        "a change that keeps status and flag is no change");
  }

  @Test
  void aPausedTypeIsNotClaimedUntilResumedWhileOtherTypesAre() {
    Task verify = insert(TestTasks.builder(TaskStatus.QUEUED).type("verify").priority(9).build());
    Task llm = insert(TestTasks.queued());
    assertTrue(store.pauseType("verify"));
    assertFalse(store.pauseType("verify"), "paused already");
    assertEquals(Set.of("verify"), store.pausedTypes());
    Route both = new Route(Set.of(Task.DEFAULT_QUEUE), Set.of(Task.LLM_TYPE, "verify"));
    assertEquals(List.of(), store.claim(List.of(verify.id()), lease("n", T0)));
    assertEquals(
        List.of(llm.id()),
        store.claimNext(5, lease("n", T0), both).stream().map(Task::id).toList());
    assertEquals(TaskStatus.QUEUED, store.get(verify.id()).orElseThrow().status());
    assertTrue(store.resumeType("verify"));
    assertFalse(store.resumeType("verify"), "not paused any more");
    assertEquals(Set.of(), store.pausedTypes());
    assertEquals(
        List.of(verify.id()),
        store.claimNext(5, lease("n", T0), both).stream().map(Task::id).toList());
  }

  @Test
  void aKeyNeverRunsMoreThanItsLimitAndAFullKeyBlocksNoTaskBehindIt() {
    List<Task> keyed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      keyed.add(
          insert(
              TestTasks.builder(TaskStatus.QUEUED)
                  .priority(10)
                  .runAt(T0.plusMillis(i))
                  .concurrency("doc-1", 2)
                  .build()));
    }
    List<Task> plain = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      plain.add(insert(TestTasks.builder(TaskStatus.QUEUED).build()));
    }
    List<Task> first = store.claimNext(10, lease("n", T0), ROUTE);
    assertEquals(
        Set.of(
            keyed.get(0).id(),
            keyed.get(1).id(),
            plain.get(0).id(),
            plain.get(1).id(),
            plain.get(2).id()),
        first.stream().map(Task::id).collect(java.util.stream.Collectors.toSet()),
        "the key's best two, then the tasks behind the full key");
    assertEquals(
        List.of(), store.claim(List.of(keyed.get(2).id()), lease("n", T0)), "the key is full");
    assertEquals(
        List.of(keyed.get(2).id(), keyed.get(3).id()),
        store.queuedOfKey("doc-1", 2).stream().map(Task::id).toList());
    Task running = store.get(keyed.get(0).id()).orElseThrow();
    store.update(
        new TaskUpdate(
            running,
            running.toBuilder().status(TaskStatus.COMPLETED).noLease().build(),
            null,
            "done"));
    assertEquals(
        List.of(keyed.get(2).id()),
        store.claimNext(10, lease("n", T0), ROUTE).stream().map(Task::id).toList(),
        "one slot freed, one more of the key");
    assertEquals(List.of(), store.claimNext(10, lease("n", T0), ROUTE));
  }

  @Test
  void claimSetsLeaseIncrementsAttemptAndRecordsTheEvent() {
    Task t = insert(TestTasks.queued());
    Instant now = T0.plusSeconds(3);
    Task claimed = store.claim(List.of(t.id()), lease("node-a", now)).get(0);
    assertEquals(TaskStatus.RUNNING, claimed.status());
    assertEquals(1, claimed.attempt());
    assertEquals(1, claimed.version());
    assertEquals("node-a", claimed.leaseOwner());
    assertEquals(now.plusSeconds(30), claimed.leaseExpiresAt());
    assertEquals(now, claimed.startedAt());
    assertEquals(claimed, store.get(t.id()).orElseThrow());
    TaskEvent last = store.events(t.id()).get(store.events(t.id()).size() - 1);
    assertEquals(TaskStatus.QUEUED, last.from());
    assertEquals(TaskStatus.RUNNING, last.to());
    // not QUEUED any more: a second claim of the same id gets nothing
    assertEquals(List.of(), store.claim(List.of(t.id()), lease("node-b", now)));
  }

  @Test
  void aClaimWhoseNowLagsBehindTheTaskStartsItNoEarlierThanItsLastChange() {
    Task t = insert(TestTasks.queued()); // created and last changed at T0
    Instant lagging = T0.minusMillis(250); // a claimer's "now" taken before the insert
    Task claimed = store.claimNext(1, lease("node-a", lagging), ROUTE).get(0);
    assertEquals(T0, claimed.startedAt());
    assertEquals(T0, claimed.updatedAt());
    TaskEvent event = store.events(t.id()).get(1);
    assertEquals(T0, event.at());
    Task scheduled = insert(TestTasks.scheduled(T0.plusSeconds(1)));
    Task promoted = store.promoteDue(T0.plusSeconds(2), 10).get(0);
    assertEquals(scheduled.id(), promoted.id());
    assertFalse(promoted.updatedAt().isBefore(scheduled.updatedAt()));
  }

  @Test
  void everyEventCarriesTheVersionTheTaskReachedWithIt() {
    Task t = insert(TestTasks.queued());
    Task running = store.claimNext(1, lease("a", T0.plusSeconds(1)), ROUTE).get(0);
    store.appendEvent(
        new TaskEvent(
            t.id(),
            TaskStatus.RUNNING,
            TaskStatus.RUNNING,
            T0.plusSeconds(2),
            1,
            "a note",
            running.version()));
    Task done =
        running.toBuilder()
            .status(TaskStatus.COMPLETED)
            .output("o")
            .updatedAt(T0.plusSeconds(3))
            .finishedAt(T0.plusSeconds(3))
            .noLease()
            .build();
    store.update(new TaskUpdate(running, done, null, "done")).orElseThrow();
    List<TaskEvent> events = store.events(t.id());
    assertEquals(List.of(0L, 1L, 1L, 2L), events.stream().map(TaskEvent::version).toList());
    assertEquals(2, store.get(t.id()).orElseThrow().version());
  }

  @Test
  void anUpdateWhoseClockLagsNeverMovesTheTaskBackInTime() {
    insert(TestTasks.queued());
    Task running = store.claimNext(1, lease("a", T0.plusSeconds(5)), ROUTE).get(0);
    Instant lagging = T0.plusSeconds(4); // another node's clock, a second behind
    Task done =
        running.toBuilder()
            .status(TaskStatus.COMPLETED)
            .updatedAt(lagging)
            .finishedAt(lagging)
            .noLease()
            .build();
    Task stored = store.update(new TaskUpdate(running, done, null, "done")).orElseThrow();
    assertEquals(T0.plusSeconds(5), stored.updatedAt());
    assertEquals(T0.plusSeconds(5), stored.finishedAt());
    List<TaskEvent> events = store.events(running.id());
    assertEquals(T0.plusSeconds(5), events.get(events.size() - 1).at());
  }

  @Test
  void manyNodesClaimingAtOnceClaimEachTaskOnce() throws Exception {
    int tasks = 1000;
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      batch.add(TestTasks.queued());
    }
    store.insert(batch);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    Set<UUID> claimed = ConcurrentHashMap.newKeySet();
    AtomicInteger claims = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (int w = 0; w < threads; w++) {
      final String node = "node-" + w;
      final boolean byId = w % 2 == 0;
      futures.add(
          pool.submit(
              () -> {
                go.await();
                while (true) {
                  List<Task> got;
                  if (byId) {
                    List<UUID> ids = new ArrayList<>(batch.stream().map(Task::id).toList());
                    Collections.shuffle(ids);
                    got = store.claim(ids.subList(0, 20), lease(node, T0));
                    if (got.isEmpty() && claims.get() >= tasks) {
                      return null;
                    }
                  } else {
                    got = store.claimNext(7, lease(node, T0), ROUTE);
                    if (got.isEmpty()) {
                      if (claims.get() >= tasks) {
                        return null;
                      }
                      continue;
                    }
                  }
                  for (Task t : got) {
                    claims.incrementAndGet();
                    assertTrue(claimed.add(t.id()), "task claimed twice: " + t.id());
                    assertEquals(node, t.leaseOwner());
                  }
                }
              }));
    }
    go.countDown();
    for (Future<?> f : futures) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertEquals(tasks, claimed.size());
    assertEquals(tasks, claims.get());
    assertEquals(tasks, store.countByStatus().getOrDefault(TaskStatus.RUNNING, 0L));
  }

  @Test
  void renewLeasesExtendsOwnRunningTasksAndReportsTheRest() {
    insert(TestTasks.queued());
    insert(TestTasks.queued());
    insert(TestTasks.queued());
    List<Task> mine = store.claimNext(2, lease("a", T0), ROUTE);
    Task theirs = store.claimNext(1, lease("b", T0), ROUTE).get(0);
    Task cancelled =
        store
            .update(
                new TaskUpdate(
                    mine.get(1),
                    mine.get(1).toBuilder().status(TaskStatus.CANCELLED).noLease().build(),
                    null,
                    "cancel"))
            .orElseThrow();
    UUID unknown = UUID.randomUUID();
    Instant expiry = T0.plusSeconds(90);
    Set<UUID> lost =
        store.renewLeases(
            "a", List.of(mine.get(0).id(), cancelled.id(), theirs.id(), unknown), expiry);
    assertEquals(Set.of(cancelled.id(), theirs.id(), unknown), lost);
    Task renewed = store.get(mine.get(0).id()).orElseThrow();
    assertEquals(expiry, renewed.leaseExpiresAt());
    assertEquals(mine.get(0).version(), renewed.version(), "renewal does not bump the version");
    assertEquals(T0.plusSeconds(30), store.get(theirs.id()).orElseThrow().leaseExpiresAt());
  }

  @Test
  void expiredLeasesAreOnlyRunningTasksPastTheirLease() {
    insert(TestTasks.queued());
    insert(TestTasks.queued());
    Task old = store.claimNext(1, new Lease("a", T0, T0.plusSeconds(10)), ROUTE).get(0);
    store.claimNext(1, new Lease("b", T0, T0.plusSeconds(100)), ROUTE);
    assertEquals(List.of(), store.expiredLeases(T0.plusSeconds(5), 10));
    List<Task> expired = store.expiredLeases(T0.plusSeconds(50), 10);
    assertEquals(List.of(old.id()), expired.stream().map(Task::id).toList());
  }

  // ---- scheduling ----

  @Test
  void promoteDueMovesOnlyDueScheduledTasks() {
    Task due = insert(TestTasks.scheduled(T0.plusSeconds(10)));
    Task later = insert(TestTasks.scheduled(T0.plusSeconds(20)));
    assertEquals(Optional.of(due.runAt()), store.nextRunAt());
    assertEquals(List.of(), store.promoteDue(T0.plusSeconds(5), 10));
    List<Task> promoted = store.promoteDue(T0.plusSeconds(10), 10);
    assertEquals(List.of(due.id()), promoted.stream().map(Task::id).toList());
    assertEquals(TaskStatus.QUEUED, store.get(due.id()).orElseThrow().status());
    assertEquals(1, promoted.get(0).version());
    assertEquals(Optional.of(later.runAt()), store.nextRunAt());
    TaskEvent last = store.events(due.id()).get(store.events(due.id()).size() - 1);
    assertEquals(TaskStatus.SCHEDULED, last.from());
    assertEquals(TaskStatus.QUEUED, last.to());
  }

  @Test
  void nodesPromotingAtOnceMoveEachTaskOnce() throws Exception {
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      batch.add(TestTasks.scheduled(T0.plusMillis(i)));
    }
    store.insert(batch);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch go = new CountDownLatch(1);
    Set<UUID> promoted = ConcurrentHashMap.newKeySet();
    AtomicInteger count = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      futures.add(
          pool.submit(
              () -> {
                go.await();
                List<Task> got;
                do {
                  got = store.promoteDue(T0.plusSeconds(1), 25);
                  got.forEach(
                      t -> {
                        count.incrementAndGet();
                        promoted.add(t.id());
                      });
                } while (!got.isEmpty());
                return null;
              }));
    }
    go.countDown();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertEquals(600, promoted.size());
    assertEquals(600, count.get());
    assertTrue(store.nextRunAt().isEmpty());
  }

  @Test
  void staleFindsTasksWhoseStatusChangedBeforeTheCutoff() {
    Task old = insert(TestTasks.builder(TaskStatus.QUEUED).updatedAt(T0).build());
    insert(TestTasks.builder(TaskStatus.QUEUED).updatedAt(T0.plusSeconds(100)).build());
    insert(TestTasks.builder(TaskStatus.SCHEDULED).updatedAt(T0).build());
    List<Task> stale = store.stale(TaskStatus.QUEUED, T0.plusSeconds(50), 10);
    assertEquals(List.of(old.id()), stale.stream().map(Task::id).toList());
  }

  // ---- lineage ----

  @Test
  void childrenAndLineageFollowTheEdgesBothWays() {
    Task root = insert(TestTasks.queued());
    Task other = insert(TestTasks.queued());
    Task mid = insert(TestTasks.pending(root));
    Task leaf = insert(TestTasks.pending(mid, other));
    insert(TestTasks.queued()); // unrelated
    assertEquals(
        List.of(mid.id()),
        store.pendingChildren(List.of(root.id())).stream().map(Task::id).toList());
    assertEquals(
        Set.of(mid.id(), leaf.id()),
        Set.copyOf(
            store.pendingChildren(List.of(root.id(), mid.id(), other.id())).stream()
                .map(Task::id)
                .toList()));
    Set<Lineage.Edge> expected =
        Set.of(
            new Lineage.Edge(root.id(), mid.id()),
            new Lineage.Edge(mid.id(), leaf.id()),
            new Lineage.Edge(other.id(), leaf.id()));
    assertEquals(expected, Set.copyOf(store.lineage(mid.id())));
    assertEquals(expected, Set.copyOf(store.lineage(root.id())));
    assertEquals(expected, Set.copyOf(store.lineage(leaf.id())));
    assertEquals(root.id(), store.get(mid.id()).orElseThrow().rootId());
  }

  // ---- queries ----

  @Test
  void queryFiltersByStatusOwnerLabelTextParentAndRoot() {
    Task a =
        insert(
            TestTasks.builder(TaskStatus.QUEUED)
                .name("Summarise the Report")
                .owner("acme")
                .labels(Map.of("team", "search"))
                .build());
    Task b =
        insert(
            TestTasks.builder(TaskStatus.SCHEDULED)
                .prompt("translate to FRENCH")
                .owner("acme")
                .labels(Map.of("team", "ads"))
                .build());
    Task c = insert(TestTasks.builder(TaskStatus.QUEUED).owner("globex").build());
    Task child = insert(TestTasks.pending(a));

    assertEquals(
        Set.of(a.id(), c.id()), ids(TaskQuery.builder().status(TaskStatus.QUEUED).build()));
    assertEquals(Set.of(a.id(), b.id()), ids(TaskQuery.builder().owner("acme").build()));
    assertEquals(Set.of(a.id()), ids(TaskQuery.builder().label("team", "search").build()));
    assertEquals(Set.of(a.id(), b.id()), ids(TaskQuery.builder().hasLabel("team").build()));
    assertEquals(Set.of(a.id()), ids(TaskQuery.builder().text("summarise the").build()));
    assertEquals(Set.of(b.id()), ids(TaskQuery.builder().text("french").build()));
    assertEquals(Set.of(child.id()), ids(TaskQuery.builder().parent(a.id()).build()));
    assertEquals(Set.of(a.id(), child.id()), ids(TaskQuery.builder().root(a.id()).build()));
    assertEquals(
        Set.of(b.id()),
        ids(
            TaskQuery.builder()
                .owner("acme")
                .status(TaskStatus.SCHEDULED, TaskStatus.RUNNING)
                .build()));
    assertEquals(Set.of(), ids(TaskQuery.builder().text("100%_").build()));
  }

  @Test
  void queryFiltersByTypeAloneAndWithTheOtherFilters() {
    Task llm = insert(TestTasks.builder(TaskStatus.QUEUED).owner("acme").build());
    Task verify =
        insert(
            TestTasks.builder(TaskStatus.SCHEDULED)
                .type("verify")
                .owner("acme")
                .labels(Map.of("team", "search"))
                .build());
    Task otherVerify =
        insert(TestTasks.builder(TaskStatus.QUEUED).type("verify").owner("globex").build());
    Task tool = insert(TestTasks.builder(TaskStatus.SCHEDULED).type("verify-tool").build());

    assertEquals(
        Set.of(verify.id(), otherVerify.id()), ids(TaskQuery.builder().type("verify").build()));
    assertEquals(Set.of(llm.id()), ids(TaskQuery.builder().type(Task.LLM_TYPE).build()));
    assertEquals(Set.of(tool.id()), ids(TaskQuery.builder().type("verify-tool").build()));
    assertEquals(Set.of(), ids(TaskQuery.builder().type("verif").build()), "the whole type");
    assertEquals(Set.of(), ids(TaskQuery.builder().type("VERIFY").build()), "case-sensitive");
    assertEquals(Set.of(), ids(TaskQuery.builder().type("100%_").build()));
    assertEquals(
        Set.of(verify.id()),
        ids(TaskQuery.builder().type("verify").status(TaskStatus.SCHEDULED).build()));
    assertEquals(
        Set.of(otherVerify.id()), ids(TaskQuery.builder().type("verify").owner("globex").build()));
    assertEquals(
        Set.of(verify.id()),
        ids(TaskQuery.builder().type("verify").label("team", "search").build()));
    assertEquals(4, ids(TaskQuery.builder().type("").build()).size(), "empty: every type");
    TaskQuery byType = TaskQuery.builder().type("verify").limit(1).build();
    Page<Task> first = store.query(byType);
    assertEquals(List.of(otherVerify.id()), first.items().stream().map(Task::id).toList());
    Page<Task> second = store.query(byType.after(first.nextCursor()));
    assertEquals(List.of(verify.id()), second.items().stream().map(Task::id).toList());
    assertFalse(second.hasNext());
  }

  private Set<UUID> ids(TaskQuery q) {
    return new HashSet<>(store.query(q).items().stream().map(Task::id).toList());
  }

  @Test
  void keysetPagesCoverEveryTaskOnceNewestFirst() {
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < 53; i++) {
      batch.add(TestTasks.queued());
    }
    store.insert(batch);
    List<UUID> seen = new ArrayList<>();
    TaskQuery q = TaskQuery.builder().limit(10).build();
    Page<Task> page = store.query(q);
    int pages = 1;
    page.items().forEach(t -> seen.add(t.id()));
    while (page.hasNext()) {
      page = store.query(q.after(page.nextCursor()));
      page.items().forEach(t -> seen.add(t.id()));
      pages++;
    }
    assertEquals(6, pages);
    assertEquals(53, seen.size());
    assertEquals(53, new HashSet<>(seen).size());
    List<UUID> newestFirst = new ArrayList<>(batch.stream().map(Task::id).toList());
    Collections.reverse(newestFirst);
    assertEquals(newestFirst, seen);
  }

  @Test
  void purgeDeletesOldTerminalTasksWithTheirRecordsInBatches() {
    List<Task> old = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      insert(TestTasks.builder(TaskStatus.QUEUED).idempotencyKey("old-" + i).build());
    }
    for (Task running : store.claimNext(5, lease("a", T0), ROUTE)) {
      Instant end = T0.plusSeconds(1);
      Attempt rec =
          new Attempt(
              running.id(), 1, "a", T0, end, AttemptOutcome.SUCCEEDED, null, null, null, "x");
      old.add(completeAt(running, end, rec));
    }
    Task child = insert(TestTasks.pending(old.get(0)));
    Task oldButQueued = insert(TestTasks.builder(TaskStatus.QUEUED).updatedAt(T0).build());
    Task recentlyCancelled =
        store
            .update(
                new TaskUpdate(
                    oldButQueued,
                    oldButQueued.toBuilder()
                        .status(TaskStatus.CANCELLED)
                        .updatedAt(T0.plusSeconds(100))
                        .build(),
                    null,
                    "cancel"))
            .orElseThrow();
    assertEquals(5, store.purgeTerminal(T0.plusSeconds(50), 2));
    for (Task t : old) {
      assertTrue(store.get(t.id()).isEmpty());
      assertEquals(List.of(), store.attempts(t.id()));
      assertEquals(List.of(), store.events(t.id()));
    }
    assertTrue(store.get(recentlyCancelled.id()).isPresent());
    assertTrue(store.get(child.id()).isPresent(), "a PENDING task is never purged");
    assertEquals(0, store.purgeTerminal(T0.plusSeconds(50), 2));
    // the key of a purged task is free again
    Task again = TestTasks.builder(TaskStatus.QUEUED).idempotencyKey("old-0").build();
    assertEquals(again.id(), store.insert(List.of(again)).get(0).id());
  }

  // ---- waits and signals ----

  @Test
  void theFirstSignalOfANameForARunWinsAndReadsBack() {
    UUID run = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    assertTrue(store.signal(run, "approval").isEmpty());
    assertTrue(store.saveSignal(run, "approval", "yes 👍, 'quoted' \"too\"", T0));
    assertFalse(store.saveSignal(run, "approval", "no", T0.plusSeconds(1)), "a repeat loses");
    assertEquals(Optional.of("yes 👍, 'quoted' \"too\""), store.signal(run, "approval"));
    assertTrue(store.saveSignal(run, "webhook", "", T0), "another name is another signal");
    assertEquals(Optional.of(""), store.signal(run, "webhook"), "an empty payload is a payload");
    assertTrue(store.signal(other, "approval").isEmpty(), "signals belong to their run");
    assertTrue(store.saveSignal(other, "approval", "no", T0));
    assertEquals(Optional.of("yes 👍, 'quoted' \"too\""), store.signal(run, "approval"));
    assertEquals(Optional.of("no"), store.signal(other, "approval"));
  }

  @Test
  void racingSignalsOfOneNameStoreExactlyOne() throws Exception {
    UUID run = UUID.randomUUID();
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> stored = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        String payload = "from " + i;
        stored.add(
            pool.submit(
                () -> {
                  go.await();
                  return store.saveSignal(run, "approval", payload, T0);
                }));
      }
      go.countDown();
      List<String> winners = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        if (stored.get(i).get(30, TimeUnit.SECONDS)) {
          winners.add("from " + i);
        }
      }
      assertEquals(1, winners.size(), "one winner: " + winners);
      assertEquals(Optional.of(winners.get(0)), store.signal(run, "approval"));
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * What a task waits for is written by the update that makes it wait, kept by its promotion and
   * its claim, and cleared by the update that ends the next attempt.
   */
  @Test
  void awaitingIsWrittenByUpdatesAndKeptByPromotionAndClaim() {
    insert(TestTasks.queued());
    Task running = store.claimNext(1, lease("a", T0), ROUTE).get(0);
    assertNull(running.awaiting());
    Instant deadline = T0.plusSeconds(60);
    Task waiting =
        store
            .update(
                new TaskUpdate(
                    running,
                    running.toBuilder()
                        .status(TaskStatus.SCHEDULED)
                        .attempt(running.attempt() - 1)
                        .runAt(deadline)
                        .awaiting("approval")
                        .updatedAt(T0.plusSeconds(1))
                        .noLease()
                        .build(),
                    null,
                    "waiting for signal approval until " + deadline))
            .orElseThrow();
    assertEquals("approval", waiting.awaiting());
    assertEquals(waiting, store.get(running.id()).orElseThrow());
    assertEquals(Optional.of(deadline), store.nextRunAt());
    assertEquals(List.of(), store.promoteDue(deadline.minusMillis(1), 10), "not due yet");
    Task promoted = store.promoteDue(deadline, 10).get(0);
    assertEquals(TaskStatus.QUEUED, promoted.status());
    assertEquals("approval", promoted.awaiting(), "kept by the promotion");
    Task again = store.claimNext(1, lease("b", deadline), ROUTE).get(0);
    assertEquals(1, again.attempt(), "the wait did not count");
    assertEquals("approval", again.awaiting(), "kept by the claim");
    assertEquals(again, store.get(again.id()).orElseThrow());
    Task done = completeAt(again, deadline.plusSeconds(1), null);
    assertNull(done.awaiting());
    assertNull(store.get(again.id()).orElseThrow().awaiting(), "cleared by the update");
  }

  /**
   * Completes a claimed task at a time with output "x", as the runtime does (what it waited for
   * cleared), with the attempt record if any.
   */
  private Task completeAt(Task running, Instant end, Attempt record) {
    return store
        .update(
            new TaskUpdate(
                running,
                running.toBuilder()
                    .status(TaskStatus.COMPLETED)
                    .output("x")
                    .awaiting(null)
                    .updatedAt(end)
                    .finishedAt(end)
                    .noLease()
                    .build(),
                record,
                "done"))
        .orElseThrow();
  }

  @Test
  void aRunsSignalsGoWithTheLastOfItsTasks() {
    Task root = insert(TestTasks.queued());
    Task lone = insert(TestTasks.queued());
    for (Task running : store.claimNext(2, lease("a", T0), ROUTE)) {
      completeAt(running, T0.plusSeconds(1), null);
    }
    Task child = insert(TestTasks.pending(root));
    assertTrue(store.saveSignal(root.id(), "approval", "yes", T0));
    assertTrue(store.saveSignal(lone.id(), "approval", "yes", T0));
    assertEquals(2, store.purgeTerminal(T0.plusSeconds(50), 10));
    assertTrue(store.get(root.id()).isEmpty());
    assertEquals(
        Optional.of("yes"),
        store.signal(root.id(), "approval"),
        "the run lives on in its child: its signals stay");
    assertTrue(store.signal(lone.id(), "approval").isEmpty(), "gone with the run's only task");
    Task cancelled =
        store
            .update(
                new TaskUpdate(
                    child,
                    child.toBuilder()
                        .status(TaskStatus.CANCELLED)
                        .updatedAt(T0.plusSeconds(2))
                        .finishedAt(T0.plusSeconds(2))
                        .build(),
                    null,
                    "cancel"))
            .orElseThrow();
    assertEquals(1, store.purgeTerminal(T0.plusSeconds(50), 10));
    assertTrue(store.get(cancelled.id()).isEmpty());
    assertTrue(store.signal(root.id(), "approval").isEmpty(), "gone with the run's last task");
  }

  // ---- attempts, events, totals ----

  // ---- the feed ----

  /** Reads the whole feed after a position, page by page. */
  private List<dev.orchestrator.FeedEntry> readFeed(dev.orchestrator.FeedQuery query) {
    List<dev.orchestrator.FeedEntry> all = new ArrayList<>();
    dev.orchestrator.FeedQuery q = query;
    while (true) {
      dev.orchestrator.FeedPage page = store.feed(q);
      all.addAll(page.entries());
      if (page.entries().isEmpty()) {
        return all;
      }
      q = q.from(page.position());
    }
  }

  @Test
  void theFeedHoldsEveryEventOnceInOrderAndResumesAfterAPosition() {
    Task a = insert(TestTasks.queued());
    Task b = insert(TestTasks.queued());
    Task running = store.claim(List.of(a.id()), lease("n", T0.plusSeconds(1))).get(0);
    store.update(
        new TaskUpdate(
            running,
            running.toBuilder()
                .status(TaskStatus.COMPLETED)
                .updatedAt(T0.plusSeconds(2))
                .finishedAt(T0.plusSeconds(2))
                .noLease()
                .build(),
            null,
            "done"));
    List<dev.orchestrator.FeedEntry> all =
        readFeed(dev.orchestrator.FeedQuery.after(null).limit(2));
    List<TaskEvent> expected = new ArrayList<>(store.events(a.id()));
    expected.addAll(store.events(b.id()));
    assertEquals(
        Set.copyOf(expected),
        Set.copyOf(all.stream().map(dev.orchestrator.FeedEntry::event).toList()));
    assertEquals(expected.size(), all.size(), "each once: " + all);
    assertEquals(
        all.stream().map(dev.orchestrator.FeedEntry::position).distinct().count(), all.size());
    List<TaskEvent> ofA =
        all.stream()
            .map(dev.orchestrator.FeedEntry::event)
            .filter(e -> e.taskId().equals(a.id()))
            .toList();
    assertEquals(store.events(a.id()), ofA, "a task's events in their order");
    // resuming after any entry gives exactly the entries after it
    for (int i = 0; i < all.size(); i++) {
      assertEquals(
          all.subList(i + 1, all.size()),
          readFeed(dev.orchestrator.FeedQuery.after(all.get(i).position())));
    }
    assertEquals(all.get(all.size() - 1).position(), store.feedHead());
    assertEquals(
        List.of(), store.feed(dev.orchestrator.FeedQuery.after(store.feedHead())).entries());
  }

  @Test
  void theFeedFiltersByTaskChainAndOwner() {
    Task root = insert(TestTasks.queued());
    Task child =
        insert(
            TestTasks.builder(TaskStatus.QUEUED)
                .rootId(root.id())
                .parentIds(List.of(root.id()))
                .build());
    Task other = insert(TestTasks.builder(TaskStatus.QUEUED).owner("acme").build());
    dev.orchestrator.FeedQuery all = dev.orchestrator.FeedQuery.after(null);
    assertEquals(
        List.of(child.id()),
        store.feed(all.ofTask(child.id())).entries().stream()
            .map(e -> e.event().taskId())
            .toList());
    assertEquals(
        Set.of(root.id(), child.id()),
        store.feed(all.ofRoot(root.id())).entries().stream()
            .map(e -> e.event().taskId())
            .collect(java.util.stream.Collectors.toSet()));
    assertEquals(
        List.of(other.id()),
        store.feed(all.ofOwner("acme")).entries().stream().map(e -> e.event().taskId()).toList());
  }

  @Test
  void activityCountsEndedTasksByMinuteStatusAndModelWithTheirSpend() {
    Instant minute = Instant.parse("2026-06-01T10:15:00Z");
    for (int i = 0; i < 3; i++) {
      Task t = insert(TestTasks.builder(TaskStatus.QUEUED).model(i < 2 ? "m1" : "m2").build());
      Task running = store.claim(List.of(t.id()), lease("n", minute.plusSeconds(i))).get(0);
      Task ended =
          running.toBuilder()
              .status(i == 1 ? TaskStatus.FAILED : TaskStatus.COMPLETED)
              .usage(new Usage(10, 20, new BigDecimal("0.5")))
              .updatedAt(minute.plusSeconds(10 + i))
              .finishedAt(minute.plusSeconds(10 + i))
              .noLease()
              .build();
      store.update(new TaskUpdate(running, ended, null, "ended")).orElseThrow();
    }
    insert(TestTasks.queued()); // not ended: not counted
    List<dev.orchestrator.Activity> rows = store.activity(minute.minusSeconds(60), null);
    assertEquals(3, rows.size(), rows.toString());
    dev.orchestrator.Activity completedM1 =
        rows.stream()
            .filter(r -> "m1".equals(r.model()) && r.status() == TaskStatus.COMPLETED)
            .findFirst()
            .orElseThrow();
    assertEquals(minute, completedM1.minute());
    assertEquals(1, completedM1.tasks());
    assertEquals(10, completedM1.inputTokens());
    assertEquals(20, completedM1.outputTokens());
    assertEquals(0, new BigDecimal("0.5").compareTo(completedM1.cost()));
    assertEquals(List.of(), store.activity(minute.plusSeconds(3600), null));
    assertEquals(List.of(), store.activity(minute.minusSeconds(60), "nobody"));
  }

  @Test
  void nodesRecordThemselvesAndAreForgotten() {
    Instant t = T0.plusSeconds(100);
    store.recordNode("node-b", T0, t, 3);
    store.recordNode("node-a", T0, t.minusSeconds(60), 0);
    store.recordNode("node-b", T0, t.plusSeconds(10), 4); // a later heartbeat replaces the first
    List<dev.orchestrator.NodeInfo> alive = store.nodes(t.minusSeconds(30));
    assertEquals(List.of("node-b"), alive.stream().map(dev.orchestrator.NodeInfo::nodeId).toList());
    assertEquals(4, alive.get(0).running());
    assertEquals(t.plusSeconds(10), alive.get(0).lastSeen());
    assertEquals(2, store.nodes(t.minusSeconds(120)).size());
    store.forgetNode("node-b");
    assertEquals(List.of(), store.nodes(t.minusSeconds(30)));
  }

  @Test
  void countsByStatusOfOneOwnerOrAll() {
    insert(TestTasks.queued());
    insert(TestTasks.builder(TaskStatus.QUEUED).owner("acme").build());
    insert(TestTasks.scheduled(T0.plusSeconds(60)));
    assertEquals(
        Map.of(TaskStatus.QUEUED, 2L, TaskStatus.SCHEDULED, 1L), store.countByStatus(null));
    assertEquals(Map.of(TaskStatus.QUEUED, 1L), store.countByStatus("acme"));
    assertEquals(Map.of(), store.countByStatus("nobody"));
  }

  @Test
  void aPositionFromElsewhereIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> store.feed(dev.orchestrator.FeedQuery.after("not a position")));
  }

  @Test
  void aReaderTailingTheFeedWhileManyWritersCommitMissesNothingAndReadsNothingTwice()
      throws Exception {
    String head = store.feedHead();
    int writers = 6;
    int batches = 15;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<List<UUID>>> written = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      written.add(
          pool.submit(
              () -> {
                List<UUID> ids = new ArrayList<>();
                for (int b = 0; b < batches; b++) {
                  List<Task> batch = new ArrayList<>();
                  for (int i = 0; i < 1 + b % 7 * 20; i++) { // batches of 1 to 121 tasks
                    batch.add(TestTasks.queued());
                  }
                  for (Task t : store.insert(batch)) {
                    ids.add(t.id());
                  }
                  store.claimNext(5, lease("w", T0.plusSeconds(1)), ROUTE);
                }
                return ids;
              }));
    }
    List<dev.orchestrator.FeedEntry> tailed = new ArrayList<>();
    dev.orchestrator.FeedQuery q = dev.orchestrator.FeedQuery.after(head);
    while (!written.stream().allMatch(Future::isDone)) {
      dev.orchestrator.FeedPage page = store.feed(q);
      tailed.addAll(page.entries());
      q = q.from(page.position());
    }
    Set<UUID> ids = new HashSet<>();
    for (Future<List<UUID>> f : written) {
      ids.addAll(f.get(1, TimeUnit.MINUTES));
    }
    pool.shutdown();
    tailed.addAll(readFeed(q));
    long expected = ids.stream().mapToLong(id -> store.events(id).size()).sum();
    assertEquals(
        expected,
        tailed.stream().map(dev.orchestrator.FeedEntry::position).distinct().count(),
        "every event of every writer, each once");
    assertEquals(expected, tailed.size(), "nothing read twice");
  }

  @Test
  void lateResultAttachesToATimedOutAttempt() {
    insert(TestTasks.queued());
    Task running = store.claimNext(1, lease("a", T0), ROUTE).get(0);
    Instant end = T0.plusSeconds(1);
    Attempt timedOut =
        Attempt.ended(
            running,
            end,
            AttemptOutcome.TIMED_OUT,
            new TaskError(ErrorKind.TIMEOUT, "too slow"),
            null,
            null,
            null);
    store.update(
        new TaskUpdate(
            running,
            running.toBuilder()
                .status(TaskStatus.FAILED)
                .error(timedOut.error())
                .finishedAt(end)
                .updatedAt(end)
                .noLease()
                .build(),
            timedOut,
            "timed out"));
    Usage usage = new Usage(3, 4, BigDecimal.ZERO);
    store.attachLateResult(
        Attempt.ended(
            running, end.plusSeconds(1), AttemptOutcome.TIMED_OUT, null, "m", usage, "x"));
    Attempt kept = store.attempts(running.id()).get(0);
    assertEquals(AttemptOutcome.TIMED_OUT, kept.outcome());
    assertEquals("x", kept.output());
    assertEquals(usage, kept.usage());
    assertNull(store.get(running.id()).orElseThrow().output());
  }

  @Test
  void lateResultAttachesOnlyToACancelledAttempt() {
    insert(TestTasks.queued());
    Task running = store.claimNext(1, lease("a", T0), ROUTE).get(0);
    Instant end = T0.plusSeconds(2);
    Attempt cancelledRecord =
        new Attempt(
            running.id(),
            1,
            "a",
            running.startedAt(),
            end,
            AttemptOutcome.CANCELLED,
            new TaskError(ErrorKind.CANCELLED, "by test"),
            null,
            null,
            null);
    store.update(
        new TaskUpdate(
            running,
            running.toBuilder()
                .status(TaskStatus.CANCELLED)
                .finishedAt(end)
                .updatedAt(end)
                .noLease()
                .build(),
            cancelledRecord,
            "cancelled"));
    Usage usage = new Usage(5, 6, BigDecimal.ZERO);
    store.attachLateResult(
        new Attempt(
            running.id(),
            1,
            "a",
            running.startedAt(),
            end.plusSeconds(1),
            AttemptOutcome.CANCELLED,
            null,
            "m",
            usage,
            "too late"));
    Attempt kept = store.attempts(running.id()).get(0);
    assertEquals(AttemptOutcome.CANCELLED, kept.outcome());
    assertEquals("too late", kept.output());
    assertEquals(usage, kept.usage());
    assertEquals("by test", kept.error().message());
    assertNull(
        store.get(running.id()).orElseThrow().output(), "late output never reaches the task");
  }

  @Test
  void notesAppendToEventsInOrder() {
    Task t = insert(TestTasks.queued());
    store.appendEvent(
        new TaskEvent(
            t.id(), TaskStatus.QUEUED, TaskStatus.QUEUED, T0.plusSeconds(1), 0, "note 1", 0));
    store.appendEvent(
        new TaskEvent(
            t.id(), TaskStatus.QUEUED, TaskStatus.QUEUED, T0.plusSeconds(2), 0, "note 2", 0));
    List<String> reasons = store.events(t.id()).stream().map(TaskEvent::reason).toList();
    assertEquals(List.of("submitted", "note 1", "note 2"), reasons);
    assertFalse(store.events(t.id()).get(1).isTransition());
  }

  @Test
  void countsAndUsageTotalsAddUp() {
    insert(TestTasks.queued());
    insert(TestTasks.builder(TaskStatus.QUEUED).owner("acme").build());
    insert(TestTasks.scheduled(T0.plusSeconds(9)));
    for (Task running : store.claimNext(2, lease("a", T0), ROUTE)) {
      Usage u = new Usage(100, 10, new BigDecimal("0.5"));
      Attempt rec =
          new Attempt(
              running.id(),
              1,
              "a",
              T0,
              T0.plusSeconds(1),
              AttemptOutcome.SUCCEEDED,
              null,
              "m1",
              u,
              "ok");
      store.update(
          new TaskUpdate(
              running,
              running.toBuilder()
                  .status(TaskStatus.COMPLETED)
                  .usage(u)
                  .output("ok")
                  .finishedAt(T0)
                  .updatedAt(T0)
                  .noLease()
                  .build(),
              rec,
              "done"));
    }
    Map<TaskStatus, Long> counts = store.countByStatus();
    assertEquals(2L, counts.get(TaskStatus.COMPLETED));
    assertEquals(1L, counts.get(TaskStatus.SCHEDULED));
    List<UsageTotal> all = store.usageTotals(null);
    assertEquals(2, all.stream().mapToLong(UsageTotal::attempts).sum());
    assertEquals(200, all.stream().mapToLong(UsageTotal::inputTokens).sum());
    assertEquals(
        0,
        new BigDecimal("1.0")
            .compareTo(
                all.stream().map(UsageTotal::cost).reduce(BigDecimal.ZERO, BigDecimal::add)));
    List<UsageTotal> acme = store.usageTotals("acme");
    assertEquals(1, acme.size());
    assertEquals("m1", acme.get(0).model());
    assertEquals(10, acme.get(0).outputTokens());
  }

  // ---- recurring schedules ----

  /** A spec with every field set: a store keeps whatever spec it is given. */
  private static TaskSpec everyField() {
    return new TaskSpec(
        "nightly 'report'; --",
        "report",
        "reports",
        "doc:42",
        3,
        "Summarise {{day}} \"quoted\" \\ 🤖\nline 2",
        "daily-template",
        Map.of("day", "yesterday", "ünï", "cödé"),
        "gpt-x",
        new CallOptions("be brief", 0.3, 256),
        -7,
        5,
        T0.plusSeconds(3600),
        Duration.ofMillis(1500),
        Duration.ofSeconds(42),
        new RetryPolicy(Duration.ofMillis(250), 3.0, Duration.ofSeconds(9)),
        List.of(UUID.randomUUID(), UUID.randomUUID()),
        "key-1",
        "tenant-ä",
        Map.of("team", "search", "quote'", "va\"lue"));
  }

  private static Schedule newSchedule(String name, Recurrence recurrence, Instant nextFire) {
    return new Schedule(
        name,
        recurrence,
        MisfirePolicy.RUN_ONCE,
        TaskSpec.prompt("tick of " + name).build(),
        T0,
        T0,
        nextFire,
        0,
        T0);
  }

  @Test
  void aScheduleReadsBackWithEveryField() {
    Recurrence cron = Recurrence.cron("0 30 9 * * MON-FRI", ZoneId.of("Europe/Berlin"));
    Schedule s =
        new Schedule(
            "daily ünïcödé 'report'",
            cron,
            MisfirePolicy.SKIP,
            everyField(),
            T0,
            T0.plusSeconds(5),
            cron.next(T0.plusSeconds(5)),
            0,
            T0.plusSeconds(6));
    Schedule stored = store.saveSchedule(s).orElseThrow();
    assertEquals(s.withVersion(1), stored);
    assertEquals(Optional.of(stored), store.schedule(s.name()));

    Recurrence interval =
        Recurrence.every(Duration.ofMillis(90_500), Instant.parse("2026-01-01T00:00:00.123456Z"));
    Schedule every = newSchedule("every", interval, interval.next(T0));
    assertEquals(every.withVersion(1), store.saveSchedule(every).orElseThrow());
    assertEquals(interval, store.schedule("every").orElseThrow().recurrence());
    assertEquals(
        List.of(stored.name(), "every").stream().sorted().toList(),
        store.schedules().stream().map(Schedule::name).toList());
    assertTrue(store.schedule("none").isEmpty());
  }

  @Test
  void savingAScheduleIsACompareAndSetOnItsVersion() {
    Recurrence every = Recurrence.every(Duration.ofSeconds(10));
    Schedule first = newSchedule("s", every, T0.plusSeconds(10));
    Schedule v1 = store.saveSchedule(first).orElseThrow();
    assertEquals(1, v1.version());
    assertTrue(store.saveSchedule(first).isEmpty(), "the name is taken");

    Schedule changed =
        new Schedule(
            "s",
            Recurrence.every(Duration.ofSeconds(20)),
            MisfirePolicy.SKIP,
            TaskSpec.prompt("changed").build(),
            T0,
            T0.plusSeconds(1),
            T0.plusSeconds(20),
            1,
            T0.plusSeconds(1));
    Schedule v2 = store.saveSchedule(changed).orElseThrow();
    assertEquals(changed.withVersion(2), v2);
    assertTrue(store.saveSchedule(changed).isEmpty(), "version 1 is gone");
    assertTrue(store.saveSchedule(changed.withVersion(7)).isEmpty(), "no version 7");
    assertEquals(Optional.of(v2), store.schedule("s"));
    assertTrue(store.saveSchedule(newSchedule("t", every, T0).withVersion(1)).isEmpty());
    assertTrue(store.schedule("t").isEmpty(), "an update of nothing inserts nothing");
  }

  @Test
  void deletingASchedule() {
    Recurrence every = Recurrence.every(Duration.ofSeconds(10));
    store.saveSchedule(newSchedule("b", every, T0.plusSeconds(10))).orElseThrow();
    store.saveSchedule(newSchedule("a", every, T0.plusSeconds(10))).orElseThrow();
    assertEquals(List.of("a", "b"), store.schedules().stream().map(Schedule::name).toList());
    assertTrue(store.deleteSchedule("a"));
    assertFalse(store.deleteSchedule("a"));
    assertFalse(store.deleteSchedule("never"));
    assertEquals(List.of("b"), store.schedules().stream().map(Schedule::name).toList());
    // the name is free again: a new schedule starts at version 1
    assertEquals(
        1, store.saveSchedule(newSchedule("a", every, T0.plusSeconds(10))).orElseThrow().version());
  }

  @Test
  void advancingAScheduleIsACompareAndSetOnItsVersion() {
    Recurrence every = Recurrence.every(Duration.ofSeconds(10));
    Schedule v1 = store.saveSchedule(newSchedule("s", every, T0.plusSeconds(10))).orElseThrow();
    Instant fire = T0.plusSeconds(10);
    Instant now = T0.plusSeconds(11);
    Schedule v2 = store.advanceSchedule("s", 1, fire, fire.plusSeconds(10), now).orElseThrow();
    assertEquals(2, v2.version());
    assertEquals(fire, v2.since());
    assertEquals(fire.plusSeconds(10), v2.nextFire());
    assertEquals(now, v2.updatedAt());
    assertEquals(v1.createdAt(), v2.createdAt());
    assertEquals(v1.spec(), v2.spec());
    assertEquals(v1.recurrence(), v2.recurrence());
    assertEquals(Optional.of(v2), store.schedule("s"));
    assertTrue(store.advanceSchedule("s", 1, fire, fire, now).isEmpty(), "version 1 is gone");
    assertTrue(store.advanceSchedule("none", 0, fire, fire, now).isEmpty());
    assertTrue(store.advanceSchedule("none", 1, fire, fire, now).isEmpty());
    assertEquals(Optional.of(v2), store.schedule("s"));
  }

  @Test
  void dueSchedulesAreTheEarliestUpToALimit() {
    Recurrence every = Recurrence.every(Duration.ofSeconds(10));
    store.saveSchedule(newSchedule("late", every, T0.plusSeconds(30))).orElseThrow();
    store.saveSchedule(newSchedule("b", every, T0.plusSeconds(10))).orElseThrow();
    store.saveSchedule(newSchedule("a", every, T0.plusSeconds(10))).orElseThrow();
    store.saveSchedule(newSchedule("first", every, T0.plusSeconds(5))).orElseThrow();
    assertEquals(List.of(), store.dueSchedules(T0.plusSeconds(4), 10));
    assertEquals(
        List.of("first", "a", "b"),
        store.dueSchedules(T0.plusSeconds(10), 10).stream().map(Schedule::name).toList());
    assertEquals(
        List.of("first", "a"),
        store.dueSchedules(T0.plusSeconds(60), 2).stream().map(Schedule::name).toList());
    store.advanceSchedule("first", 1, T0.plusSeconds(5), T0.plusSeconds(40), T0.plusSeconds(6));
    assertEquals(
        List.of("a", "b", "late", "first"),
        store.dueSchedules(T0.plusSeconds(60), 10).stream().map(Schedule::name).toList());
  }

  @Test
  void ofManyAdvancingOneScheduleFromTheSameVersionExactlyOneWins() throws Exception {
    Recurrence every = Recurrence.every(Duration.ofSeconds(1));
    store.saveSchedule(newSchedule("race", every, T0.plusSeconds(1))).orElseThrow();
    int threads = 16;
    int rounds = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < rounds; round++) {
        long version = store.schedule("race").orElseThrow().version();
        Instant fire = T0.plusSeconds(round + 1);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Optional<Schedule>>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          Instant now = fire.plusMillis(i);
          results.add(
              pool.submit(
                  () -> {
                    go.await();
                    return store.advanceSchedule("race", version, fire, fire.plusSeconds(1), now);
                  }));
        }
        go.countDown();
        List<Schedule> winners = new ArrayList<>();
        for (Future<Optional<Schedule>> r : results) {
          r.get(30, TimeUnit.SECONDS).ifPresent(winners::add);
        }
        assertEquals(1, winners.size(), "winners of round " + round);
        assertEquals(version + 1, winners.get(0).version());
        assertEquals(Optional.of(winners.get(0)), store.schedule("race"));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(rounds + 1, store.schedule("race").orElseThrow().version());
  }
}
