package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Task;
import dev.orchestrator.TaskError;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskUpdate;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The group commit of attempt endings on PostgreSQL: a batch of hundreds of compare-and-sets in one
 * transaction, each winning or losing on its own, all or nothing when the database refuses one,
 * notifying only what commits, and never deadlocking with racing batches or lease renewals.
 */
class PostgresUpdateAllTest {
  private static final int BATCH = 500;
  @RegisterExtension static final PostgresStores stores = new PostgresStores(8);
  private PostgresTaskStore store;

  @BeforeEach
  void newStore() {
    store = stores.newStore();
  }

  /** What one update of the batch is and must come to. */
  private record Case(TaskUpdate update, Task before, boolean wins, boolean recorded) {}

  @Test
  void hundredsOfUpdatesWinOrLoseEachOnTheirOwn() {
    List<Task> running = running(BATCH);
    Instant end = Instant.now();
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < running.size(); i++) {
      Task t = running.get(i);
      cases.add(
          switch (i % 5) {
            case 0 -> // a writer that read an older version
                new Case(
                    new TaskUpdate(
                        t.toBuilder().version(t.version() - 1).build(),
                        finished(t, TaskStatus.COMPLETED, end),
                        record(t, AttemptOutcome.SUCCEEDED, end),
                        "late"),
                    t,
                    false,
                    false);
            case 1 -> // a writer that believes the task is still QUEUED
                new Case(
                    new TaskUpdate(
                        t.toBuilder().status(TaskStatus.QUEUED).build(),
                        finished(t, TaskStatus.CANCELLED, end),
                        null,
                        "confused"),
                    t,
                    false,
                    false);
            case 2 ->
                new Case(
                    new TaskUpdate(
                        t,
                        finished(t, TaskStatus.COMPLETED, end).toBuilder()
                            .output("out " + i)
                            .usage(new Usage(i, 2L * i, new BigDecimal("0.0" + i % 10 + "0")))
                            .build(),
                        record(t, AttemptOutcome.SUCCEEDED, end),
                        "done"),
                    t,
                    true,
                    true);
            case 3 ->
                new Case(
                    new TaskUpdate(
                        t,
                        t.toBuilder()
                            .status(TaskStatus.SCHEDULED)
                            .runAt(end.plusSeconds(60))
                            // an instant finer than PostgreSQL keeps: the result must not be
                            .updatedAt(end.plusNanos(123))
                            .error(new TaskError(ErrorKind.RATE_LIMITED, "429 " + i))
                            .noLease()
                            .build(),
                        record(t, AttemptOutcome.RETRYABLE_FAILURE, end),
                        "retry"),
                    t,
                    true,
                    true);
            default -> // released by a graceful shutdown: no attempt record
                new Case(
                    new TaskUpdate(
                        t,
                        t.toBuilder().status(TaskStatus.QUEUED).updatedAt(end).noLease().build(),
                        null,
                        "released"),
                    t,
                    true,
                    false);
          });
    }
    Collections.shuffle(cases, new Random(7)); // results follow the input, not the id order

    List<Optional<Task>> results = store.updateAll(cases.stream().map(Case::update).toList());

    assertEquals(cases.size(), results.size());
    Map<UUID, Task> stored = byId(store.getAll(running.stream().map(Task::id).toList()));
    for (int k = 0; k < cases.size(); k++) {
      Case c = cases.get(k);
      UUID id = c.before().id();
      List<TaskEvent> events = store.events(id);
      List<Attempt> attempts = store.attempts(id);
      if (c.wins()) {
        Task result = results.get(k).orElseThrow(() -> new AssertionError("lost: " + c));
        assertEquals(stored.get(id), result, "the result is what the store holds");
        assertEquals(c.before().version() + 1, result.version());
        assertEquals(c.update().next().status(), result.status());
        assertEquals(3, events.size());
        assertEquals(c.update().event().reason(), events.get(2).reason());
        assertEquals(c.before().status(), events.get(2).from());
        assertEquals(result.status(), events.get(2).to());
        assertEquals(result.updatedAt(), events.get(2).at());
        assertEquals(c.recorded() ? 1 : 0, attempts.size());
        if (c.recorded()) {
          assertEquals(c.update().attempt().outcome(), attempts.get(0).outcome());
        }
      } else {
        assertTrue(results.get(k).isEmpty(), "won: " + c);
        assertEquals(c.before(), stored.get(id), "a loser changes nothing");
        assertEquals(2, events.size(), "created and claimed only");
        assertEquals(List.of(), attempts);
      }
    }
    assertEquals(
        Map.of(
            TaskStatus.RUNNING, (long) BATCH * 2 / 5,
            TaskStatus.COMPLETED, (long) BATCH / 5,
            TaskStatus.SCHEDULED, (long) BATCH / 5,
            TaskStatus.QUEUED, (long) BATCH / 5),
        store.countByStatus());
  }

  @Test
  void anUpdateTheDatabaseRefusesMidBatchLeavesNothingWritten() {
    List<Task> running = running(BATCH);
    // the task in the middle of the batch's (id) order already has a record of attempt 1
    UUID victim = inIdOrder(running).get(BATCH / 2).id();
    Task second = reclaimAfterARecordedAttempt(byId(running).get(victim));
    List<Task> before = new ArrayList<>(running);
    before.replaceAll(t -> t.id().equals(victim) ? second : t);
    Map<UUID, Integer> eventsBefore = eventCounts(before);
    Instant end = Instant.now();
    List<TaskUpdate> updates = new ArrayList<>();
    for (Task t : before) {
      Attempt one = record(t, AttemptOutcome.SUCCEEDED, end);
      updates.add(
          new TaskUpdate(
              t,
              finished(t, TaskStatus.COMPLETED, end),
              // the victim's record claims attempt 1 again: the primary key refuses it
              new Attempt(t.id(), 1, one.worker(), end, end, one.outcome(), null, null, null, null),
              "done"));
    }

    IllegalStateException refused =
        assertThrows(IllegalStateException.class, () -> store.updateAll(updates));
    assertTrue(refused.getMessage().contains("already has a record"), refused.getMessage());

    assertEquals(
        byId(before), byId(store.getAll(before.stream().map(Task::id).toList())), "no task");
    assertEquals(eventsBefore, eventCounts(before), "no event");
    for (Task t : before) {
      assertEquals(t.id().equals(victim) ? 1 : 0, store.attempts(t.id()).size(), "no record");
    }
    // the store is whole afterwards: the same batch without the victim goes through
    List<TaskUpdate> rest = updates.stream().filter(u -> !u.next().id().equals(victim)).toList();
    assertTrue(store.updateAll(rest).stream().allMatch(Optional::isPresent));
    assertEquals(
        Map.of(TaskStatus.COMPLETED, (long) BATCH - 1, TaskStatus.RUNNING, 1L),
        store.countByStatus());
  }

  @Test
  void updatesOfOneTaskApplyInTheirOrder() {
    List<Task> running = running(3);
    Task t = running.get(1);
    Instant now = Instant.now();
    Task released = t.toBuilder().status(TaskStatus.QUEUED).updatedAt(now).noLease().build();
    Task cancelled = released.toBuilder().status(TaskStatus.CANCELLED).finishedAt(now).build();
    List<Optional<Task>> results =
        store.updateAll(
            List.of(
                new TaskUpdate(
                    running.get(2),
                    finished(running.get(2), TaskStatus.COMPLETED, now),
                    null,
                    "other"),
                new TaskUpdate(t, released, null, "released"),
                // expects what the update before it writes
                new TaskUpdate(
                    released.toBuilder().version(t.version() + 1).build(),
                    cancelled,
                    null,
                    "cancelled"),
                // read the task before both: loses
                new TaskUpdate(t, finished(t, TaskStatus.FAILED, now), null, "stale"),
                new TaskUpdate(
                    running.get(0),
                    finished(running.get(0), TaskStatus.COMPLETED, now),
                    null,
                    "other")));
    assertEquals(
        List.of(true, true, true, false, true), results.stream().map(Optional::isPresent).toList());
    assertEquals(t.version() + 2, results.get(2).orElseThrow().version());
    assertEquals(results.get(2).orElseThrow(), store.get(t.id()).orElseThrow());
    assertEquals(
        List.of("submitted", "claimed by n", "released", "cancelled"),
        store.events(t.id()).stream().map(TaskEvent::reason).toList());
  }

  @Test
  void onlyACommittedQueuedOutcomeNotifies() throws Exception {
    List<Task> running = running(6);
    Instant now = Instant.now();
    try (Connection listener = stores.dataSource().getConnection()) {
      PGConnection pg = listener.unwrap(PGConnection.class);
      try (Statement s = listener.createStatement()) {
        s.execute("LISTEN " + store.notifyChannel());
      }
      // nothing left QUEUED
      store.updateAll(
          List.of(
              new TaskUpdate(
                  running.get(0), finished(running.get(0), TaskStatus.COMPLETED, now), null, ""),
              new TaskUpdate(
                  running.get(1), finished(running.get(1), TaskStatus.FAILED, now), null, "")));
      assertEquals(0, notifications(pg, 300));
      // a QUEUED outcome that lost its compare-and-set
      store.updateAll(
          List.of(
              new TaskUpdate(running.get(0), released(running.get(0), now), null, ""),
              new TaskUpdate(running.get(1), released(running.get(1), now), null, "")));
      assertEquals(0, notifications(pg, 300));
      // a QUEUED outcome in a batch the database refuses
      Task recorded = reclaimAfterARecordedAttempt(running.get(2));
      assertEquals(1, notifications(pg, 5_000), "the release before the reclaim");
      assertThrows(
          IllegalStateException.class,
          () ->
              store.updateAll(
                  List.of(
                      new TaskUpdate(running.get(3), released(running.get(3), now), null, ""),
                      new TaskUpdate(
                          recorded,
                          finished(recorded, TaskStatus.COMPLETED, now),
                          record(running.get(2), AttemptOutcome.SUCCEEDED, now),
                          ""))));
      assertEquals(0, notifications(pg, 300));
      // committed: heard (once per transaction, as PostgreSQL folds equal notifications)
      List<Optional<Task>> results =
          store.updateAll(
              List.of(
                  new TaskUpdate(running.get(3), released(running.get(3), now), null, ""),
                  new TaskUpdate(running.get(4), released(running.get(4), now), null, ""),
                  new TaskUpdate(
                      running.get(5),
                      finished(running.get(5), TaskStatus.COMPLETED, now),
                      null,
                      "")));
      assertTrue(results.stream().allMatch(Optional::isPresent));
      assertEquals(1, notifications(pg, 5_000));
      try (Statement s = listener.createStatement()) {
        s.execute("UNLISTEN *"); // the connection goes back to the pool
      }
    }
  }

  @Test
  void racingBatchesAndRenewalsNeverDeadlock() throws Exception {
    for (int round = 0; round < 5; round++) {
      List<Task> running = running(200);
      List<Task> descending = new ArrayList<>(running);
      Collections.reverse(descending);
      Map<UUID, AtomicInteger> wins = new ConcurrentHashMap<>();
      AtomicBoolean finishing = new AtomicBoolean(true);
      AtomicInteger renewals = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(5);
      CountDownLatch go = new CountDownLatch(1);
      try {
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          boolean finisher = w % 2 == 0;
          List<Task> order = finisher ? running : descending;
          String node = "w" + w;
          writers.add(
              pool.submit(
                  () -> {
                    go.await();
                    Instant now = Instant.now();
                    List<TaskUpdate> updates =
                        order.stream()
                            .map(
                                t ->
                                    new TaskUpdate(
                                        t,
                                        finished(
                                                t,
                                                finisher
                                                    ? TaskStatus.COMPLETED
                                                    : TaskStatus.CANCELLED,
                                                now)
                                            .toBuilder()
                                            .output(node)
                                            .build(),
                                        new Attempt(
                                            t.id(),
                                            1,
                                            node,
                                            t.startedAt(),
                                            now,
                                            finisher
                                                ? AttemptOutcome.SUCCEEDED
                                                : AttemptOutcome.CANCELLED,
                                            null,
                                            null,
                                            null,
                                            null),
                                        node))
                            .toList();
                    List<Optional<Task>> results = store.updateAll(updates);
                    for (Optional<Task> r : results) {
                      r.ifPresent(
                          t ->
                              wins.computeIfAbsent(t.id(), k -> new AtomicInteger())
                                  .incrementAndGet());
                    }
                    return null;
                  }));
        }
        Future<?> renewer =
            pool.submit(
                () -> {
                  go.await();
                  List<UUID> ids = descending.stream().map(Task::id).toList();
                  while (finishing.get()) {
                    store.renewLeases("n", ids, Instant.now().plusSeconds(60));
                    renewals.incrementAndGet();
                  }
                  return null;
                });
        go.countDown();
        for (Future<?> f : writers) {
          f.get(60, TimeUnit.SECONDS); // a deadlock would fail one with SQLSTATE 40P01
        }
        finishing.set(false);
        renewer.get(60, TimeUnit.SECONDS);
      } finally {
        pool.shutdownNow();
      }
      assertEquals(running.size(), wins.size(), "round " + round);
      wins.values().forEach(n -> assertEquals(1, n.get(), "one winner per task"));
      for (Task t : store.getAll(wins.keySet())) {
        assertFalse(t.status() == TaskStatus.RUNNING);
        List<Attempt> attempts = store.attempts(t.id());
        assertEquals(1, attempts.size());
        assertEquals(t.output(), attempts.get(0).worker(), "the winner wrote the record");
      }
      assertTrue(renewals.get() > 0);
    }
  }

  // ---- helpers ----

  /** Inserts and claims this many tasks under the lease of "n". */
  private List<Task> running(int count) {
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      tasks.add(TestTasks.queued("p" + i).build());
    }
    store.insert(tasks);
    Instant now = Instant.now();
    List<Task> claimed =
        store.claim(
            tasks.stream().map(Task::id).toList(), new Lease("n", now, now.plusSeconds(60)));
    assertEquals(count, claimed.size());
    return claimed;
  }

  /** Ends attempt 1 with a record and a release, then claims attempt 2: RUNNING again. */
  private Task reclaimAfterARecordedAttempt(Task running) {
    Instant now = Instant.now();
    store
        .update(
            new TaskUpdate(
                running,
                released(running, now),
                record(running, AttemptOutcome.RETRYABLE_FAILURE, now),
                "retry"))
        .orElseThrow();
    Task again =
        store.claim(List.of(running.id()), new Lease("n", now, now.plusSeconds(60))).get(0);
    assertEquals(2, again.attempt());
    return again;
  }

  private static Task finished(Task t, TaskStatus status, Instant at) {
    return t.toBuilder().status(status).updatedAt(at).finishedAt(at).noLease().build();
  }

  private static Task released(Task t, Instant at) {
    return t.toBuilder().status(TaskStatus.QUEUED).updatedAt(at).noLease().build();
  }

  private static Attempt record(Task running, AttemptOutcome outcome, Instant end) {
    return Attempt.ended(
        running, end, outcome, null, "m", new Usage(3, 4, new BigDecimal("0.25")), null);
  }

  private static Map<UUID, Task> byId(List<Task> tasks) {
    return tasks.stream().collect(Collectors.toMap(Task::id, Function.identity()));
  }

  /** In PostgreSQL's uuid order, which the canonical text of uuids sorts in. */
  private static List<Task> inIdOrder(List<Task> tasks) {
    return tasks.stream().sorted(Comparator.comparing(t -> t.id().toString())).toList();
  }

  private Map<UUID, Integer> eventCounts(List<Task> tasks) {
    Map<UUID, Integer> counts = new HashMap<>();
    tasks.forEach(t -> counts.put(t.id(), store.events(t.id()).size()));
    return counts;
  }

  private static int notifications(PGConnection pg, int waitMillis) throws SQLException {
    PGNotification[] got = pg.getNotifications(waitMillis);
    return got == null ? 0 : got.length;
  }
}
