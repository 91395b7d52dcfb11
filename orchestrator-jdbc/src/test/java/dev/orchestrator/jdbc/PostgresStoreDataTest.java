package dev.orchestrator.jdbc;

import static dev.orchestrator.jdbc.TestTasks.ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.CallOptions;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.Lineage;
import dev.orchestrator.Page;
import dev.orchestrator.Task;
import dev.orchestrator.TaskError;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.UsageTotal;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskUpdate;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the PostgreSQL store keeps and reads back: every field, hostile text, queries, purge. */
class PostgresStoreDataTest {
  @RegisterExtension static final PostgresStores stores = new PostgresStores(4);
  private PostgresTaskStore store;

  @BeforeEach
  void newStore() {
    store = stores.newStore();
  }

  @Test
  void everyFieldReadsBackAsWritten() {
    UUID parent = UUID.randomUUID();
    Task task =
        TestTasks.queued("Summarise ' ; DROP TABLE tasks; -- \\ % _ $$ \" 🚀 naïve 中文")
            .name("name 'with' \"quotes\" 😀")
            .model("gpt-4o-mini")
            .options(new CallOptions("be brief 🙂", 0.7, 256))
            .priority(-5)
            .maxAttempts(7)
            .retryPolicy(new RetryPolicy(Duration.ofMillis(1500), 3.0, Duration.ofMinutes(2)))
            .parentIds(List.of(parent))
            .rootId(parent)
            .idempotencyKey("key ' 🔑")
            .owner("tenant-ä")
            .labels(Map.of("env", "prod", "quote'", "va\"lue", "emoji", "🎉"))
            .usage(new Usage(12, 34, new BigDecimal("0.001200")))
            .build();
    Task stored = store.insert(List.of(task)).get(0);
    assertEquals(task, stored);
    assertEquals(task, store.get(task.id()).orElseThrow());
    assertEquals(List.of(new Lineage.Edge(parent, task.id())), store.lineage(task.id()));
    TaskEvent created = store.events(task.id()).get(0);
    assertNull(created.from());
    assertEquals(TaskStatus.QUEUED, created.to());
  }

  @Test
  void veryLongTextReadsBackExactly() {
    String prompt = "🚀 long ".repeat(200_000); // 1.6 million chars, emoji included
    String key = "k".repeat(10_000);
    Task task =
        TestTasks.queued(prompt)
            .name("n".repeat(5_000))
            .idempotencyKey(key)
            .labels(Map.of("l", "v".repeat(20_000)))
            .build();
    store.insert(List.of(task));
    Task read = store.get(task.id()).orElseThrow();
    assertEquals(prompt, read.prompt());
    assertEquals(task, read);
    assertEquals(
        task, store.insert(List.of(TestTasks.queued("again").idempotencyKey(key).build())).get(0));
  }

  @Test
  void nulAndUnpairedSurrogatesAreRefusedBeforeAnyWrite() {
    Task good = TestTasks.queued("fine").build();
    Task nul = TestTasks.queued("bad \u0000 prompt").build();
    InvalidTaskException e =
        assertThrows(InvalidTaskException.class, () -> store.insert(List.of(good, nul)));
    assertEquals(InvalidTaskException.Problem.BAD_FIELD, e.problem());
    assertEquals(1, e.index());
    assertTrue(store.get(good.id()).isEmpty(), "a batch is all or nothing");

    Task surrogate = TestTasks.queued("half \uD83D emoji").build();
    assertThrows(InvalidTaskException.class, () -> store.insert(List.of(surrogate)));
    Task nulLabel = TestTasks.queued("p").labels(Map.of("k", "v\u0000")).build();
    assertThrows(InvalidTaskException.class, () -> store.insert(List.of(nulLabel)));

    Task stored = store.insert(List.of(good)).get(0);
    Task running = store.claim(List.of(stored.id()), lease("node")).get(0);
    Task done = running.toBuilder().status(TaskStatus.COMPLETED).output("out \u0000").build();
    assertThrows(
        InvalidTaskException.class, () -> store.update(new TaskUpdate(running, done, null, "")));
    assertEquals(TaskStatus.RUNNING, store.get(good.id()).orElseThrow().status());
  }

  @Test
  void duplicateIdFailsTheWholeBatch() {
    Task first = TestTasks.queued("one").build();
    store.insert(List.of(first));
    Task other = TestTasks.queued("two").build();
    Task again = first.toBuilder().prompt("clash").build();
    assertThrows(IllegalArgumentException.class, () -> store.insert(List.of(other, again)));
    assertTrue(store.get(other.id()).isEmpty());
    assertEquals("one", store.get(first.id()).orElseThrow().prompt());
  }

  @Test
  void idempotencyKeyIsPerOwnerAndHoldsWithinABatch() {
    Task a = TestTasks.queued("a").idempotencyKey("k").build();
    Task b = TestTasks.queued("b").idempotencyKey("k").build();
    Task c = TestTasks.queued("c").idempotencyKey("k").owner("other").build();
    List<Task> stored = store.insert(List.of(a, b, c));
    assertEquals(List.of(a, a, c), stored);
    Task d = TestTasks.queued("d").idempotencyKey("k").build();
    Task e = TestTasks.queued("e").build();
    // e waits behind a (one owner): its turn is the store's, so compare by id
    assertEquals(
        List.of(a.id(), e.id()), store.insert(List.of(d, e)).stream().map(Task::id).toList());
    assertTrue(store.get(d.id()).isEmpty());
    assertEquals(3, store.query(TaskQuery.all()).items().size());
  }

  @Test
  void updateWritesTaskAttemptAndEventTogether() {
    Task t = store.insert(List.of(TestTasks.queued("p").build())).get(0);
    Task running = store.claimNext(1, lease("n1"), ROUTE).get(0);
    assertEquals(1, running.attempt());
    assertEquals(t.version() + 1, running.version());
    Instant end = Instant.now();
    Attempt record =
        new Attempt(
            t.id(),
            1,
            "n1/w1",
            running.startedAt(),
            end,
            AttemptOutcome.RETRYABLE_FAILURE,
            new TaskError(ErrorKind.SERVER_ERROR, "503 'x'"),
            "m",
            new Usage(1, 2, new BigDecimal("0.5")),
            null);
    Task next =
        running.toBuilder()
            .status(TaskStatus.SCHEDULED)
            .runAt(end.plusSeconds(60))
            .updatedAt(end)
            .error(record.error())
            .noLease()
            .build();
    Task stored = store.update(new TaskUpdate(running, next, record, "retry")).orElseThrow();
    assertEquals(running.version() + 1, stored.version());
    assertEquals(stored, store.get(t.id()).orElseThrow());
    assertEquals(1, store.attempts(t.id()).size());
    assertEquals(record.error(), store.attempts(t.id()).get(0).error());
    List<TaskEvent> events = store.events(t.id());
    assertEquals(3, events.size());
    assertEquals("retry", events.get(2).reason());
    // the stale writer loses, and writes nothing
    assertTrue(store.update(new TaskUpdate(running, next, record, "again")).isEmpty());
    assertEquals(3, store.events(t.id()).size());
    assertEquals(Set.of(TaskStatus.SCHEDULED), store.countByStatus().keySet());
    UsageTotal total = store.usageTotals(null).get(0);
    assertEquals(new UsageTotal("default", "m", 1, 1, 2, total.cost()), total);
    assertEquals(0, new BigDecimal("0.5").compareTo(total.cost()));
    assertEquals(List.of(), store.usageTotals("nobody"));
  }

  @Test
  void aSecondRecordOfOneAttemptIsRefused() {
    store.insert(List.of(TestTasks.queued("p").build()));
    Task running = store.claimNext(1, lease("n1"), ROUTE).get(0);
    Attempt record = record(running, AttemptOutcome.RETRYABLE_FAILURE);
    Task queued = running.toBuilder().status(TaskStatus.QUEUED).noLease().build();
    Task requeued = store.update(new TaskUpdate(running, queued, record, "retry")).orElseThrow();
    Task again = store.claimNext(1, lease("n1"), ROUTE).get(0);
    assertEquals(requeued.id(), again.id());
    Task failed = again.toBuilder().status(TaskStatus.FAILED).noLease().build();
    assertThrows(
        IllegalStateException.class,
        () -> store.update(new TaskUpdate(again, failed, record, "dup")));
    assertEquals(TaskStatus.RUNNING, store.get(again.id()).orElseThrow().status());
  }

  @Test
  void leasesRenewOnlyForTheirOwnerAndExpire() {
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      tasks.add(TestTasks.queued("p" + i).build());
    }
    store.insert(tasks);
    Instant now = Instant.now();
    List<Task> mine = store.claimNext(2, new Lease("a", now, now.plusSeconds(1)), ROUTE);
    List<Task> theirs = store.claimNext(5, new Lease("b", now, now.plusSeconds(1)), ROUTE);
    assertEquals(2, mine.size());
    assertEquals(1, theirs.size());
    UUID unknown = UUID.randomUUID();
    Set<UUID> lost =
        store.renewLeases(
            "a",
            List.of(mine.get(0).id(), mine.get(1).id(), theirs.get(0).id(), unknown),
            now.plusSeconds(60));
    assertEquals(Set.of(theirs.get(0).id(), unknown), lost);
    Task renewed = store.get(mine.get(0).id()).orElseThrow();
    assertEquals(mine.get(0).version(), renewed.version());
    List<Task> expired = store.expiredLeases(now.plusSeconds(2), 10);
    assertEquals(List.of(theirs.get(0).id()), expired.stream().map(Task::id).toList());
  }

  @Test
  void dueTasksArePromotedInOrder() {
    Instant now = Instant.now();
    Task later =
        TestTasks.queued("later").status(TaskStatus.SCHEDULED).runAt(now.plusSeconds(60)).build();
    Task due =
        TestTasks.queued("due").status(TaskStatus.SCHEDULED).runAt(now.minusSeconds(5)).build();
    Task dueFirst =
        TestTasks.queued("first").status(TaskStatus.SCHEDULED).runAt(now.minusSeconds(9)).build();
    store.insert(List.of(later, due, dueFirst));
    assertEquals(Jdbc.truncate(dueFirst.runAt()), store.nextRunAt().orElseThrow());
    List<Task> promoted = store.promoteDue(now, 10);
    assertEquals(List.of(dueFirst.id(), due.id()), promoted.stream().map(Task::id).toList());
    assertTrue(
        promoted.stream().allMatch(t -> t.status() == TaskStatus.QUEUED && t.version() == 1));
    assertEquals(Jdbc.truncate(later.runAt()), store.nextRunAt().orElseThrow());
    assertEquals(List.of(), store.promoteDue(now, 10));
  }

  @Test
  void queriesFilterAndPageByKeyset() {
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      tasks.add(
          TestTasks.queued(i % 5 == 0 ? "has 100% _under_ score" : "plain " + i)
              .owner(i % 2 == 0 ? "even" : "odd")
              .labels(Map.of("n", Integer.toString(i % 3)))
              .build());
    }
    store.insert(tasks);
    List<UUID> seen = new ArrayList<>();
    TaskQuery q = TaskQuery.builder().limit(10).build();
    Page<Task> page = store.query(q);
    while (true) {
      page.items().forEach(t -> seen.add(t.id()));
      if (!page.hasNext()) break;
      page = store.query(q.after(page.nextCursor()));
    }
    List<UUID> newestFirst = tasks.stream().map(Task::id).sorted((x, y) -> y.compareTo(x)).toList();
    assertEquals(newestFirst, seen);

    assertEquals(
        13, store.query(TaskQuery.builder().owner("even").limit(100).build()).items().size());
    assertEquals(
        9, store.query(TaskQuery.builder().label("n", "0").limit(100).build()).items().size());
    assertEquals(
        25, store.query(TaskQuery.builder().hasLabel("n").limit(100).build()).items().size());
    assertEquals(
        5, store.query(TaskQuery.builder().text("100% _UNDER_").limit(100).build()).items().size());
    assertEquals(
        0, store.query(TaskQuery.builder().text("1000%").limit(100).build()).items().size());
    assertEquals(0, store.query(TaskQuery.builder().text("_x").limit(100).build()).items().size());
    assertFalse(
        store
            .query(TaskQuery.builder().status(TaskStatus.QUEUED).limit(1).build())
            .items()
            .isEmpty());
    assertTrue(
        store.query(TaskQuery.builder().status(TaskStatus.RUNNING).build()).items().isEmpty());
  }

  @Test
  void lineageAndPendingChildrenFollowTheEdges() {
    Task root = TestTasks.queued("root").build();
    Task a =
        TestTasks.queued("a")
            .status(TaskStatus.PENDING)
            .parentIds(List.of(root.id()))
            .rootId(root.id())
            .build();
    Task b =
        TestTasks.queued("b")
            .status(TaskStatus.PENDING)
            .parentIds(List.of(root.id()))
            .rootId(root.id())
            .build();
    Task join =
        TestTasks.queued("join")
            .status(TaskStatus.PENDING)
            .parentIds(List.of(a.id(), b.id()))
            .rootId(root.id())
            .build();
    Task released =
        TestTasks.queued("released")
            .status(TaskStatus.PENDING)
            .parentIds(List.of(root.id()))
            .rootId(root.id())
            .build();
    Task unrelated = TestTasks.queued("other").build();
    store.insert(List.of(root, a, b, join, released, unrelated));
    Set<Lineage.Edge> all =
        Set.of(
            new Lineage.Edge(root.id(), a.id()),
            new Lineage.Edge(root.id(), b.id()),
            new Lineage.Edge(root.id(), released.id()),
            new Lineage.Edge(a.id(), join.id()),
            new Lineage.Edge(b.id(), join.id()));
    for (Task t : List.of(root, a, b, join, released)) {
      assertEquals(all, Set.copyOf(store.lineage(t.id())), "from " + t.prompt());
    }
    assertEquals(List.of(), store.lineage(unrelated.id()));
    assertEquals(
        Set.of(a.id(), b.id(), released.id()),
        Set.copyOf(store.pendingChildren(List.of(root.id())).stream().map(Task::id).toList()));
    // a child whose parents are done leaves PENDING, and pendingChildren no longer lists it
    store
        .update(
            new TaskUpdate(
                released, released.toBuilder().status(TaskStatus.QUEUED).build(), null, "ready"))
        .orElseThrow();
    assertEquals(
        Set.of(a.id(), b.id()),
        Set.copyOf(store.pendingChildren(List.of(root.id())).stream().map(Task::id).toList()));
    // a child of several of the parents comes once
    assertEquals(
        List.of(join.id()),
        store.pendingChildren(List.of(a.id(), b.id(), unrelated.id())).stream()
            .map(Task::id)
            .toList());
    assertEquals(List.of(), store.pendingChildren(List.of(join.id(), released.id())));
    assertEquals(List.of(), store.pendingChildren(List.of()));
    assertEquals(3, store.query(TaskQuery.builder().parent(root.id()).build()).items().size());
    assertEquals(5, store.query(TaskQuery.builder().root(root.id()).build()).items().size());
  }

  @Test
  void lateResultAttachesOnlyToACancelledAttempt() {
    store.insert(List.of(TestTasks.queued("p").build()));
    Task running = store.claimNext(1, lease("n"), ROUTE).get(0);
    Attempt cancelled = record(running, AttemptOutcome.CANCELLED);
    Task next = running.toBuilder().status(TaskStatus.CANCELLED).noLease().build();
    store.update(new TaskUpdate(running, next, cancelled, "cancelled")).orElseThrow();
    Attempt late =
        new Attempt(
            running.id(),
            1,
            "n",
            null,
            null,
            AttemptOutcome.SUCCEEDED,
            null,
            "m",
            new Usage(3, 4, BigDecimal.ONE),
            "late output");
    store.attachLateResult(late);
    Attempt stored = store.attempts(running.id()).get(0);
    assertEquals(AttemptOutcome.CANCELLED, stored.outcome());
    assertEquals("late output", stored.output());
    assertEquals(new Usage(3, 4, BigDecimal.ONE), stored.usage());
  }

  @Test
  void purgeDeletesOldTerminalTasksInBatches() {
    Instant past = Instant.now().minusSeconds(3600);
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      tasks.add(TestTasks.queued("p" + i).createdAt(past).updatedAt(past).build());
    }
    Task child = TestTasks.queued("child").parentIds(List.of(tasks.get(0).id())).build();
    tasks.add(child);
    store.insert(tasks);
    // an hour ago: the tasks ran then, so they are old enough to purge
    List<Task> running = store.claimNext(20, new Lease("n", past, past.plusSeconds(30)), ROUTE);
    for (Task t : running) {
      Task done =
          t.toBuilder()
              .status(TaskStatus.COMPLETED)
              .updatedAt(past)
              .finishedAt(past)
              .output("o")
              .noLease()
              .build();
      store
          .update(new TaskUpdate(t, done, record(t, AttemptOutcome.SUCCEEDED), "done"))
          .orElseThrow();
    }
    store.appendEvent(
        new TaskEvent(
            running.get(0).id(), TaskStatus.COMPLETED, TaskStatus.COMPLETED, past, 1, "note", 2));
    assertEquals(20, store.purgeTerminal(Instant.now().minus(Duration.ofMinutes(1)), 7));
    for (Task t : running) {
      assertTrue(store.get(t.id()).isEmpty());
      assertEquals(List.of(), store.attempts(t.id()));
      assertEquals(List.of(), store.events(t.id()));
    }
    assertEquals(6, store.query(TaskQuery.all()).items().size());
    assertEquals(0, store.purgeTerminal(Instant.now().minus(Duration.ofMinutes(1)), 7));
    assertEquals(List.of(), store.lineage(child.id()));
  }

  @Test
  void closingTheStoreClosesOnlyAPoolItCreated() {
    String prefix = PostgresTestDatabase.newPrefix(getClass());
    PostgresTaskStore owning =
        PostgresTaskStore.builder()
            .jdbcUrl(PostgresTestDatabase.url(), null, null)
            .tablePrefix(prefix)
            .build();
    try {
      assertEquals(0, owning.query(TaskQuery.all()).items().size());
    } finally {
      owning.close();
      PostgresTestDatabase.drop(stores.dataSource(), prefix);
    }
    assertTrue(((HikariDataSource) owning.dataSource()).isClosed());
    store.close();
    assertFalse(stores.dataSource().isClosed(), "the caller's pool stays open");
  }

  private static Lease lease(String owner) {
    Instant now = Instant.now();
    return new Lease(owner, now, now.plusSeconds(30));
  }

  private static Attempt record(Task running, AttemptOutcome outcome) {
    return new Attempt(
        running.id(),
        running.attempt(),
        "w",
        running.startedAt(),
        Instant.now(),
        outcome,
        null,
        null,
        null,
        null);
  }
}
