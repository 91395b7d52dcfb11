package dev.orchestrator.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.memory.InMemoryEventBus;
import dev.orchestrator.memory.InMemoryTaskQueue;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskHandler;
import dev.orchestrator.testing.DelegatingTaskStore;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Claims follow the backlog, not the worker count: a deep queue of short tasks is claimed in
 * batches bigger than the workers, while long tasks are not hoarded, and tasks claimed ahead that
 * are cancelled or given back before they start run no handler.
 */
class ClaimAheadTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final List<Orchestrator> nodes = new ArrayList<>();
  private final InMemoryTaskQueue queue = new InMemoryTaskQueue();
  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final AtomicInteger largestClaim = new AtomicInteger();
  private final InMemoryTaskStore memory = new InMemoryTaskStore();
  private final DelegatingTaskStore store =
      new DelegatingTaskStore(memory) {
        @Override
        public List<Task> claim(Collection<UUID> ids, Lease lease) {
          List<Task> claimed = super.claim(ids, lease);
          largestClaim.accumulateAndGet(claimed.size(), Math::max);
          return claimed;
        }
      };

  private Orchestrator node(String id, int workers, String type, TaskHandler handler) {
    Orchestrator o =
        Orchestrator.builder()
            .store(store)
            .queue(queue)
            .eventBus(bus)
            .nodeId(id)
            .workers(workers)
            .handler(type, handler)
            .shutdownGrace(Duration.ofSeconds(5))
            .build();
    nodes.add(o);
    return o;
  }

  @AfterEach
  void closeNodes() {
    nodes.forEach(Orchestrator::close);
  }

  private static List<TaskSpec> specs(String type, int n) {
    return IntStream.range(0, n)
        .mapToObj(i -> TaskSpec.builder().type(type).name("t" + i).build())
        .toList();
  }

  @Test
  void aDeepQueueOfShortTasksIsClaimedInBatchesBiggerThanTheWorkers() {
    Orchestrator node = node("a", 2, "quick", ctx -> HandlerResult.of("ok"));
    List<Task> tasks = node.submitAll(specs("quick", 10_000));
    node.start();
    Waits.until(
        "all completed",
        WAIT,
        () -> node.countByStatus().getOrDefault(TaskStatus.COMPLETED, 0L) == tasks.size());
    assertTrue(
        largestClaim.get() > 2 * 2,
        "the largest claim took " + largestClaim.get() + " tasks with 2 workers");
  }

  @Test
  void twoNodesWithLongTasksShareThemEvenly() {
    TaskHandler slow =
        ctx -> {
          Thread.sleep(40);
          return HandlerResult.of("ok");
        };
    Orchestrator a = node("a", 4, "slow", slow);
    Orchestrator b = node("b", 4, "slow", slow);
    List<Task> tasks = a.submitAll(specs("slow", 120));
    a.start();
    b.start();
    Waits.until(
        "all completed",
        WAIT,
        () -> a.countByStatus().getOrDefault(TaskStatus.COMPLETED, 0L) == tasks.size());
    Map<String, Integer> ranBy = new ConcurrentHashMap<>();
    for (Task t : tasks) {
      for (Attempt attempt : a.attempts(t.id())) {
        ranBy.merge(attempt.worker(), 1, Integer::sum);
      }
    }
    // an even share is 60 each; a node claiming far ahead of its 4 workers would take most
    assertTrue(
        ranBy.getOrDefault("a", 0) >= 40 && ranBy.getOrDefault("b", 0) >= 40,
        "attempts by node: " + ranBy);
  }

  /**
   * Quick tasks (so the node has a pace to claim ahead at), then one that holds the node's only
   * worker until released, then more behind it: some of those are claimed ahead while it holds.
   */
  private List<Task> holdingRun(Orchestrator node) {
    List<TaskSpec> specs = new ArrayList<>(specs("held", 3000));
    specs.add(TaskSpec.builder().type("held").name("hold").build());
    specs.addAll(specs("held", 200));
    return node.submitAll(specs);
  }

  /** Set when the task named "hold" is in its handler. */
  private final CountDownLatch holds = new CountDownLatch(1);

  /** The tasks whose handler was entered. */
  private final java.util.Set<java.util.UUID> entered = ConcurrentHashMap.newKeySet();

  private TaskHandler holding(CountDownLatch release, AtomicInteger started) {
    return ctx -> {
      entered.add(ctx.task().id());
      started.incrementAndGet();
      if (ctx.task().name().equals("hold")) {
        holds.countDown();
        release.await();
      }
      return HandlerResult.of("ok");
    };
  }

  /**
   * The tasks claimed by the node but not started: RUNNING while its only worker holds, and never
   * in a handler (a task that ran before the hold may still be RUNNING while its ending is
   * written).
   */
  private List<Task> claimedAhead(Orchestrator node, List<Task> tasks) {
    Waits.until("the worker holds", WAIT, () -> holds.getCount() == 0);
    return Waits.value(
        "tasks claimed ahead of the held worker",
        WAIT,
        () -> {
          List<Task> ahead =
              tasks.stream()
                  .filter(t -> !t.name().equals("hold") && !entered.contains(t.id()))
                  .map(t -> node.get(t.id()).orElseThrow())
                  .filter(t -> t.status() == TaskStatus.RUNNING)
                  .toList();
          return ahead.isEmpty() ? null : ahead;
        });
  }

  @Test
  void aClaimedTaskCancelledBeforeAWorkerTakesItRunsNoHandler() {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    Orchestrator node = node("a", 1, "held", holding(release, started));
    List<Task> tasks = holdingRun(node);
    node.start();
    List<Task> ahead = claimedAhead(node, tasks);
    for (Task t : ahead) {
      assertTrue(node.cancel(t.id()).status() == TaskStatus.CANCELLED, "cancelled " + t.id());
    }
    release.countDown();
    Waits.until(
        "the rest ran",
        WAIT,
        () ->
            node.countByStatus().getOrDefault(TaskStatus.COMPLETED, 0L)
                    + node.countByStatus().getOrDefault(TaskStatus.CANCELLED, 0L)
                == tasks.size());
    assertEquals((long) ahead.size(), node.countByStatus().getOrDefault(TaskStatus.CANCELLED, 0L));
    // the handler ran for each completed task only: none for the cancelled ones
    assertEquals(node.countByStatus().getOrDefault(TaskStatus.COMPLETED, 0L), started.get());
  }

  @Test
  void shutdownGivesTasksClaimedAheadBackWithoutCountingAnAttempt() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    Orchestrator node = node("a", 1, "held", holding(release, started));
    List<Task> tasks = holdingRun(node);
    node.start();
    List<Task> ahead = claimedAhead(node, tasks);
    Thread closer = new Thread(node::close);
    closer.start();
    // the tasks claimed ahead go back at once, while the held one may still finish
    Waits.until(
        "claimed-ahead tasks given back",
        WAIT,
        () ->
            ahead.stream()
                .allMatch(t -> memory.get(t.id()).orElseThrow().status() != TaskStatus.RUNNING));
    release.countDown();
    closer.join(WAIT.toMillis());
    for (Task t : ahead) {
      Task now = memory.get(t.id()).orElseThrow();
      assertEquals(TaskStatus.QUEUED, now.status(), t.id() + " is " + now.status());
      assertEquals(0, now.attempt(), "a task given back does not count the attempt");
    }
    assertEquals(
        0L, store.countByStatus().getOrDefault(TaskStatus.RUNNING, 0L), "nothing left RUNNING");
  }
}
