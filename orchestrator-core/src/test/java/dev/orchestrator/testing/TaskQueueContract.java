package dev.orchestrator.testing;

import static dev.orchestrator.testing.TestTasks.ROUTE;
import static dev.orchestrator.testing.TestTasks.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.Route;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.spi.TaskUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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
 * What every {@link TaskQueue} must do, over the store it claims from. A queue module's test
 * extends it; the in-memory queue, the PostgreSQL work source and the Redis queue pass the same
 * suite.
 */
public abstract class TaskQueueContract {
  /** Far longer than any wake-up may take: a poll that waits this long has missed a signal. */
  private static final Duration LONG = Duration.ofSeconds(20);

  protected TaskStore store;
  protected TaskQueue queue;

  /** A new store with no tasks. */
  protected abstract TaskStore newStore();

  /** A new, empty queue that claims from {@code store}. */
  protected abstract TaskQueue newQueue(TaskStore store);

  @BeforeEach
  void open() {
    store = newStore();
    queue = newQueue(store);
  }

  @AfterEach
  void closeAll() throws Exception {
    queue.close();
    store.close();
  }

  private TaskQueue.Claimer claimer(String node) {
    return claimer(node, ROUTE);
  }

  private TaskQueue.Claimer claimer(String node, Route route) {
    return new TaskQueue.Claimer() {
      @Override
      public Route route() {
        return route;
      }

      @Override
      public List<Task> claim(Collection<UUID> ids) {
        return store.claim(ids, lease(node));
      }

      @Override
      public List<Task> claimNext(int max) {
        return store.claimNext(max, lease(node), route);
      }
    };
  }

  private static Lease lease(String node) {
    return new Lease(node, T0, T0.plusSeconds(30));
  }

  private List<Task> submit(List<Task> tasks) {
    List<Task> stored = store.insert(tasks);
    queue.offer(stored);
    return stored;
  }

  /** Polls until {@code count} tasks were claimed or the deadline passes. */
  private List<Task> drain(int count, String node) throws InterruptedException {
    List<Task> got = new ArrayList<>();
    long deadline = System.nanoTime() + LONG.toNanos();
    while (got.size() < count && System.nanoTime() < deadline) {
      got.addAll(queue.poll(claimer(node), count - got.size(), Duration.ofMillis(200)));
    }
    return got;
  }

  @Test
  void offeredTaskIsClaimedByAPoll() throws Exception {
    Task t = submit(List.of(TestTasks.queued())).get(0);
    List<Task> got = drain(1, "a");
    assertEquals(List.of(t.id()), got.stream().map(Task::id).toList());
    assertEquals(TaskStatus.RUNNING, got.get(0).status());
    assertEquals("a", got.get(0).leaseOwner());
  }

  @Test
  void aPollTakesOnlyTheLanesOfItsRoute() throws Exception {
    Task llm = TestTasks.queued();
    Task verify = TestTasks.builder(TaskStatus.QUEUED).type("verify").priority(-5).build();
    Task gpu = TestTasks.builder(TaskStatus.QUEUED).queue("gpu").priority(9).build();
    submit(List.of(llm, verify, gpu));
    Route verifier = Route.of("verify");
    List<Task> got = new ArrayList<>();
    long deadline = System.nanoTime() + LONG.toNanos();
    while (got.isEmpty() && System.nanoTime() < deadline) {
      got.addAll(queue.poll(claimer("v", verifier), 5, Duration.ofMillis(200)));
    }
    assertEquals(List.of(verify.id()), got.stream().map(Task::id).toList());
    assertEquals(List.of(llm.id()), drain(1, "a").stream().map(Task::id).toList());
    assertEquals(
        List.of(), queue.poll(claimer("a"), 5, Duration.ofMillis(100)), "the gpu task is not ours");
    Route gpuRoute = new Route(Set.of("gpu"), Set.of(Task.LLM_TYPE));
    got.clear();
    while (got.isEmpty() && System.nanoTime() < deadline) {
      got.addAll(queue.poll(claimer("g", gpuRoute), 5, Duration.ofMillis(200)));
    }
    assertEquals(List.of(gpu.id()), got.stream().map(Task::id).toList());
  }

  @Test
  void aPollAcrossLanesTakesTheBestFirst() throws Exception {
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      tasks.add(
          TestTasks.builder(TaskStatus.QUEUED)
              .type(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c")
              .priority(i)
              .build());
    }
    submit(tasks);
    Route route = new Route(Set.of(Task.DEFAULT_QUEUE), Set.of("a", "b", "c"));
    List<Task> got = new ArrayList<>();
    long deadline = System.nanoTime() + LONG.toNanos();
    while (got.size() < 4 && System.nanoTime() < deadline) {
      got.addAll(queue.poll(claimer("n", route), 4 - got.size(), Duration.ofMillis(200)));
    }
    assertEquals(
        List.of(11, 10, 9, 8), got.stream().map(Task::priority).sorted((x, y) -> y - x).toList());
  }

  @Test
  void pollOnAnEmptyQueueReturnsNothingAfterItsWait() throws Exception {
    assertEquals(List.of(), queue.poll(claimer("a"), 5, Duration.ofMillis(50)));
  }

  @Test
  void aBlockedPollWakesWhenATaskIsOffered() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    CountDownLatch polling = new CountDownLatch(1);
    Future<List<Task>> poll =
        pool.submit(
            () -> {
              polling.countDown();
              return queue.poll(claimer("a"), 1, LONG);
            });
    polling.await();
    long start = System.nanoTime();
    Task t = submit(List.of(TestTasks.queued())).get(0);
    List<Task> got = poll.get(LONG.toSeconds() + 5, TimeUnit.SECONDS);
    long waitedMillis = (System.nanoTime() - start) / 1_000_000;
    pool.shutdown();
    // the poll may also have returned empty just before the offer (a spurious wake-up): then the
    // next poll must find the task at once
    if (got.isEmpty()) {
      got = queue.poll(claimer("a"), 1, Duration.ofMillis(500));
    }
    assertEquals(List.of(t.id()), got.stream().map(Task::id).toList());
    assertTrue(waitedMillis < LONG.toMillis() / 2, "poll was not woken: " + waitedMillis + " ms");
  }

  @Test
  void higherPriorityIsClaimedFirst() throws Exception {
    Task low = TestTasks.builder(TaskStatus.QUEUED).priority(1).build();
    Task high = TestTasks.builder(TaskStatus.QUEUED).priority(9).build();
    submit(List.of(low, high));
    List<Task> first = drain(1, "a");
    assertEquals(high.id(), first.get(0).id());
    assertEquals(low.id(), drain(1, "a").get(0).id());
  }

  @Test
  void aTaskNoLongerQueuedIsDropped() throws Exception {
    Task t = submit(List.of(TestTasks.queued())).get(0);
    store.update(
        new TaskUpdate(t, t.toBuilder().status(TaskStatus.CANCELLED).noLease().build(), null, "x"));
    Task other = submit(List.of(TestTasks.queued())).get(0);
    List<Task> got = drain(1, "a");
    assertEquals(List.of(other.id()), got.stream().map(Task::id).toList());
    assertEquals(List.of(), queue.poll(claimer("a"), 5, Duration.ofMillis(100)));
    assertEquals(TaskStatus.CANCELLED, store.get(t.id()).orElseThrow().status());
  }

  @Test
  void aTaskOfferedTwiceRunsOnce() throws Exception {
    Task t = submit(List.of(TestTasks.queued())).get(0);
    queue.offer(List.of(t));
    assertEquals(1, drain(1, "a").size());
    assertEquals(List.of(), queue.poll(claimer("b"), 5, Duration.ofMillis(100)));
    assertEquals(1, store.get(t.id()).orElseThrow().attempt());
  }

  @Test
  void concurrentPollersClaimEveryTaskExactlyOnce() throws Exception {
    int tasks = 500;
    int pollers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(pollers);
    Set<UUID> claimed = ConcurrentHashMap.newKeySet();
    AtomicInteger claims = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (int p = 0; p < pollers; p++) {
      final String node = "node-" + p;
      futures.add(
          pool.submit(
              () -> {
                long deadline = System.nanoTime() + LONG.toNanos() * 3;
                while (claims.get() < tasks && System.nanoTime() < deadline) {
                  for (Task t : queue.poll(claimer(node), 4, Duration.ofMillis(100))) {
                    claims.incrementAndGet();
                    assertTrue(claimed.add(t.id()), "claimed twice: " + t.id());
                  }
                }
                return null;
              }));
    }
    List<Task> batch = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      batch.add(TestTasks.queued());
      if (batch.size() == 50) {
        submit(batch);
        batch = new ArrayList<>();
      }
    }
    for (Future<?> f : futures) {
      f.get(LONG.toSeconds() * 4, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertEquals(tasks, claimed.size());
    assertEquals(tasks, claims.get());
  }

  @Test
  void wakeUpReleasesABlockedPoll() throws Exception {
    CountDownLatch polling = new CountDownLatch(1);
    CompletableFuture<List<Task>> poll =
        CompletableFuture.supplyAsync(
            () -> {
              polling.countDown();
              try {
                return queue.poll(claimer("a"), 1, LONG);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    polling.await();
    long start = System.nanoTime();
    // the poller may not be blocked yet when we wake it: keep waking until it returns
    while (!poll.isDone() && System.nanoTime() - start < LONG.toNanos()) {
      queue.wakeUp();
      Thread.onSpinWait();
      try {
        poll.get(20, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // not yet
      }
    }
    assertEquals(List.of(), poll.get(1, TimeUnit.SECONDS));
    assertTrue(System.nanoTime() - start < LONG.toNanos() / 2, "wakeUp did not release the poll");
  }
}
