package dev.orchestrator.jdbc;

import static dev.orchestrator.jdbc.TestTasks.ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskUpdate;
import dev.orchestrator.testing.Waits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Many connections racing on the same rows: SKIP LOCKED claims and compare-and-set writes. */
class PostgresStoreConcurrencyTest {
  private static final int THREADS = 12;
  @RegisterExtension static final PostgresStores stores = new PostgresStores(THREADS + 2);
  private PostgresTaskStore store;

  @BeforeEach
  void newStore() {
    store = stores.newStore();
  }

  @Test
  void everyTaskIsClaimedExactlyOnceBySkipLockedClaims() throws Exception {
    int tasks = 2000;
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      batch.add(TestTasks.queued("p" + i).priority(i % 4).build());
    }
    store.insert(batch);
    Map<UUID, String> claimedBy = new ConcurrentHashMap<>();
    AtomicInteger duplicates = new AtomicInteger();
    run(
        THREADS,
        node -> {
          List<Task> got;
          do {
            Instant now = Instant.now();
            got = store.claimNext(5, new Lease(node, now, now.plusSeconds(60)), ROUTE);
            for (Task t : got) {
              if (claimedBy.putIfAbsent(t.id(), node) != null) {
                duplicates.incrementAndGet();
              }
            }
          } while (!got.isEmpty());
        });
    assertEquals(0, duplicates.get());
    assertEquals(tasks, claimedBy.size());
    assertEquals(Map.of(TaskStatus.RUNNING, (long) tasks), store.countByStatus());
    for (Task t : store.getAll(claimedBy.keySet())) {
      assertEquals(claimedBy.get(t.id()), t.leaseOwner());
      assertEquals(1, t.attempt());
      List<TaskEvent> events = store.events(t.id());
      assertEquals(2, events.size(), "one creation and one claim event");
      assertEquals("claimed by " + t.leaseOwner(), events.get(1).reason());
    }
    assertTrue(Set.copyOf(claimedBy.values()).size() > 1, "the claims were spread over threads");
  }

  @Test
  void racingFinishersAndCancellersNeverBothWin() throws Exception {
    int tasks = 300;
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      batch.add(TestTasks.queued("p" + i).build());
    }
    store.insert(batch);
    Instant now = Instant.now();
    List<Task> running = store.claimNext(tasks, new Lease("n", now, now.plusSeconds(60)), ROUTE);
    Map<UUID, AtomicInteger> wins = new ConcurrentHashMap<>();
    run(
        THREADS,
        node -> {
          boolean finisher = Integer.parseInt(node.substring("node-".length())) % 2 == 0;
          for (Task t : running) {
            TaskStatus to = finisher ? TaskStatus.COMPLETED : TaskStatus.CANCELLED;
            Task next =
                t.toBuilder().status(to).output(node).updatedAt(Instant.now()).noLease().build();
            Attempt record =
                new Attempt(
                    t.id(),
                    1,
                    node,
                    t.startedAt(),
                    Instant.now(),
                    finisher ? AttemptOutcome.SUCCEEDED : AttemptOutcome.CANCELLED,
                    null,
                    null,
                    null,
                    node);
            if (store.update(new TaskUpdate(t, next, record, node)).isPresent()) {
              wins.computeIfAbsent(t.id(), k -> new AtomicInteger()).incrementAndGet();
            }
          }
        });
    assertEquals(tasks, wins.size());
    wins.values().forEach(n -> assertEquals(1, n.get()));
    for (Task t : running) {
      Task stored = store.get(t.id()).orElseThrow();
      List<Attempt> attempts = store.attempts(t.id());
      assertEquals(1, attempts.size(), "one record per attempt");
      assertEquals(stored.output(), attempts.get(0).worker(), "the winner wrote the record");
      assertEquals(3, store.events(t.id()).size());
      assertEquals(t.version() + 1, stored.version());
    }
  }

  @Test
  void batchesRacingOnTheSameKeysInAnyOrderCreateEachTaskOnceWithoutDeadlock() throws Exception {
    int keys = 200;
    Map<String, Set<UUID>> idsByKey = new ConcurrentHashMap<>();
    run(
        THREADS,
        node -> {
          List<Task> batch = new ArrayList<>();
          for (int k = 0; k < keys; k++) {
            batch.add(TestTasks.queued("k" + k).idempotencyKey("key-" + k).build());
          }
          java.util.Collections.shuffle(batch);
          for (Task t : store.insert(batch)) {
            idsByKey
                .computeIfAbsent(t.idempotencyKey(), k -> ConcurrentHashMap.newKeySet())
                .add(t.id());
          }
        });
    assertEquals(keys, idsByKey.size());
    idsByKey.forEach((key, ids) -> assertEquals(1, ids.size(), "one task for " + key));
    assertEquals(Map.of(TaskStatus.QUEUED, (long) keys), store.countByStatus());
  }

  /**
   * A statement that locks a row and leaves it unchanged (a racing promotion or compare-and-set
   * whose re-check found the row no longer in the state it sought keeps that lock until it commits)
   * must not make the claim of a popped id skip it: the popped id was its only hint.
   */
  @Test
  void aQueuedIdLockedByAnotherTransactionIsClaimedOnceTheLockGoes() throws Exception {
    Task task = store.insert(List.of(TestTasks.queued("locked").build())).get(0);
    ExecutorService claimer = Executors.newSingleThreadExecutor();
    try (Connection holder = stores.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock =
          holder.prepareStatement(
              "SELECT id FROM " + store.tablePrefix() + "tasks WHERE id = ? FOR NO KEY UPDATE")) {
        lock.setObject(1, task.id());
        lock.executeQuery().close();
      }
      Future<List<Task>> claim =
          claimer.submit(
              () -> {
                Instant now = Instant.now();
                return store.claim(List.of(task.id()), new Lease("node", now, now.plusSeconds(60)));
              });
      Waits.until(
          "the claim waits for the row lock",
          Duration.ofSeconds(10),
          () -> lockWaiters(holder) > 0 || claim.isDone());
      assertFalse(claim.isDone(), "the claim did not skip the locked row");
      holder.commit();
      List<Task> claimed = claim.get(10, TimeUnit.SECONDS);
      assertEquals(List.of(task.id()), claimed.stream().map(Task::id).toList());
      assertEquals(TaskStatus.RUNNING, store.get(task.id()).orElseThrow().status());
    } finally {
      claimer.shutdownNow();
    }
  }

  /**
   * Nodes promote due tasks all at once while one of them claims, by id, each batch it promoted (as
   * a queue hands the ids out): every promoted task is claimed, none is left QUEUED.
   */
  @Test
  void tasksPromotedWhileOtherNodesPromoteAreClaimedByTheirIds() throws Exception {
    int tasks = 3000;
    Instant past = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MICROS);
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      batch.add(
          TestTasks.queued("due " + i)
              .status(TaskStatus.SCHEDULED)
              .runAt(past.plusNanos(i * 1000L))
              .build());
    }
    store.insert(batch);
    Set<UUID> promoted = ConcurrentHashMap.newKeySet();
    Set<UUID> claimed = ConcurrentHashMap.newKeySet();
    run(
        THREADS,
        node -> {
          List<Task> due;
          do {
            Instant now = Instant.now();
            due = store.promoteDue(now, 20);
            List<UUID> ids = due.stream().map(Task::id).toList();
            promoted.addAll(ids);
            for (Task t : store.claim(ids, new Lease(node, now, now.plusSeconds(60)))) {
              claimed.add(t.id());
            }
          } while (!due.isEmpty());
        });
    assertEquals(tasks, promoted.size());
    assertEquals(Map.of(TaskStatus.RUNNING, (long) tasks), store.countByStatus());
    assertEquals(tasks, claimed.size(), "every promoted task claimed by the ids promoted");
  }

  /**
   * Twelve connections claim and finish keyed tasks as fast as they can: a key's tasks RUNNING at
   * once, counted from the claims' commits to just before the finishes, never exceed its limit.
   */
  @Test
  void racingClaimsNeverRunMoreOfAKeyThanItsLimit() throws Exception {
    int tasks = 400;
    int keys = 10;
    int limit = 2;
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      batch.add(TestTasks.queued("k" + i).concurrency("key-" + (i % keys), limit).build());
    }
    store.insert(batch);
    Map<String, AtomicInteger> runningOf = new ConcurrentHashMap<>();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    run(
        THREADS,
        node -> {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (finished.get() < tasks && System.nanoTime() < deadline) {
            Instant now = Instant.now();
            List<Task> got = store.claimNext(3, new Lease(node, now, now.plusSeconds(60)), ROUTE);
            for (Task t : got) {
              int n =
                  runningOf
                      .computeIfAbsent(t.concurrencyKey(), k -> new AtomicInteger())
                      .incrementAndGet();
              most.accumulateAndGet(n, Math::max);
            }
            Thread.sleep(2); // the attempts run a moment, so claims of a key overlap
            for (Task t : got) {
              runningOf.get(t.concurrencyKey()).decrementAndGet();
              store.update(
                  new TaskUpdate(
                      t,
                      t.toBuilder().status(TaskStatus.COMPLETED).noLease().build(),
                      null,
                      "done"));
              finished.incrementAndGet();
            }
          }
        });
    assertEquals(tasks, finished.get());
    assertEquals(Map.of(TaskStatus.COMPLETED, (long) tasks), store.countByStatus());
    assertTrue(most.get() <= limit, "at most " + limit + " of a key at once, saw " + most.get());
    assertEquals(limit, most.get(), "the claims did race up to the limit");
    assertEquals(0, store.queuedOfKey("key-0", 10).size());
  }

  /** Sessions of this database waiting for a lock, other than the holder's. */
  private static int lockWaiters(Connection holder) {
    try (Connection c = stores.dataSource().getConnection();
        PreparedStatement q =
            c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND wait_event_type = 'Lock'");
        ResultSet rs = q.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs the body on {@code threads} threads named node-0.., started together. */
  private static void run(int threads, ThrowingConsumer body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int i = 0; i < threads; i++) {
        String node = "node-" + i;
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  body.accept(node);
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @FunctionalInterface
  private interface ThrowingConsumer {
    void accept(String node) throws Exception;
  }
}
