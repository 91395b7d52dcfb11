package dev.orchestrator.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.IllegalTransitionException;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.memory.InMemoryEventBus;
import dev.orchestrator.memory.InMemoryTaskQueue;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Many threads and nodes racing on the same tasks: the compare-and-set must hold everywhere. */
class RaceTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final List<Orchestrator> nodes = new ArrayList<>();
  private final InMemoryTaskStore store = new InMemoryTaskStore();
  private final InMemoryTaskQueue queue = new InMemoryTaskQueue();
  private final InMemoryEventBus bus = new InMemoryEventBus();

  private Orchestrator node(String id, Map<String, dev.orchestrator.spi.TaskHandler> handlers) {
    Orchestrator.Builder b =
        Orchestrator.builder()
            .store(store)
            .queue(queue)
            .eventBus(bus)
            .nodeId(id)
            .workers(6)
            .pollInterval(Duration.ofMillis(20))
            .defaultRetryPolicy(RetryPolicy.fixed(Duration.ZERO));
    handlers.forEach(b::handler);
    Orchestrator o = b.build().start();
    nodes.add(o);
    return o;
  }

  @AfterEach
  void closeNodes() {
    nodes.forEach(Orchestrator::close);
  }

  @Test
  void cancelRacingCompletionNeverLeavesACancelledTaskCompleted() throws Exception {
    // handlers finish after a random few microseconds, so cancels land before, during and after
    Map<String, dev.orchestrator.spi.TaskHandler> handlers =
        Map.of(
            "quick",
            ctx -> {
              long spinUntil = System.nanoTime() + ThreadLocalRandom.current().nextLong(200_000);
              while (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
              }
              return HandlerResult.of("done " + ctx.task().id());
            });
    Orchestrator a = node("a", handlers);
    node("b", handlers);
    int n = 600;
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      specs.add(TaskSpec.builder().type("quick").build());
    }
    List<Task> tasks = a.submitAll(specs);
    ExecutorService cancellers = Executors.newFixedThreadPool(4);
    Set<UUID> cancelled = ConcurrentHashMap.newKeySet();
    List<Future<?>> futures = new ArrayList<>();
    for (Task t : tasks) {
      futures.add(
          cancellers.submit(
              () -> {
                if (a.cancel(t.id()).status() == TaskStatus.CANCELLED) {
                  cancelled.add(t.id());
                }
              }));
    }
    for (Future<?> f : futures) {
      f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    cancellers.shutdown();
    Waits.until(
        "all tasks terminal",
        WAIT,
        () -> tasks.stream().allMatch(t -> a.task(t.id()).status().isTerminal()));
    int completed = 0;
    for (Task t : tasks) {
      Task now = a.task(t.id());
      if (cancelled.contains(t.id())) {
        assertEquals(TaskStatus.CANCELLED, now.status(), "completed after a successful cancel");
        assertEquals(null, now.output(), "a cancelled task never carries output");
      } else {
        assertEquals(TaskStatus.COMPLETED, now.status());
        completed++;
      }
      long completions =
          a.events(t.id()).stream().filter(e -> e.to() == TaskStatus.COMPLETED).count();
      assertTrue(completions <= 1, "completed twice");
      assertTrue(completions == 0 || !cancelled.contains(t.id()));
    }
    assertTrue(cancelled.size() > 0, "the race never cancelled anything");
    assertEquals(n, cancelled.size() + completed);
  }

  @Test
  void manyWorkersOnSeveralNodesRunEachAttemptOnce() throws Exception {
    Map<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();
    Map<String, dev.orchestrator.spi.TaskHandler> handlers =
        Map.of(
            "count",
            ctx -> {
              runs.computeIfAbsent(ctx.task().id(), k -> new AtomicInteger()).incrementAndGet();
              return HandlerResult.of("ok");
            });
    Orchestrator a = node("a", handlers);
    node("b", handlers);
    node("c", handlers);
    int n = 3000;
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      specs.add(TaskSpec.builder().type("count").priority(i % 5).build());
    }
    List<Task> tasks = a.submitAll(specs);
    Waits.until(
        "all completed",
        WAIT,
        () -> store.countByStatus().getOrDefault(TaskStatus.COMPLETED, 0L) == n);
    assertEquals(n, runs.size());
    runs.forEach((id, count) -> assertEquals(1, count.get(), "task " + id + " ran twice"));
    Set<String> workers = new HashSet<>();
    for (Task t : tasks) {
      List<Attempt> attempts = a.attempts(t.id());
      assertEquals(1, attempts.size());
      workers.add(attempts.get(0).worker());
    }
    assertEquals(Set.of("a", "b", "c"), workers, "every node took a share");
  }

  @Test
  void retryRacingCancelEndsInOneConsistentState() throws Exception {
    Orchestrator a =
        node(
            "a",
            Map.of(
                "fail",
                ctx -> {
                  throw new dev.orchestrator.retry.FatalTaskException("no");
                }));
    int n = 300;
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      specs.add(TaskSpec.builder().type("fail").maxAttempts(1).build());
    }
    List<Task> tasks = a.submitAll(specs);
    Waits.until(
        "all failed", WAIT, () -> store.countByStatus().getOrDefault(TaskStatus.FAILED, 0L) == n);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    AtomicInteger retried = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (Task t : tasks) {
      for (int k = 0; k < 3; k++) {
        futures.add(
            pool.submit(
                () -> {
                  try {
                    a.retry(t.id(), 1);
                    retried.incrementAndGet();
                  } catch (IllegalTransitionException e) {
                    // another retry won, or the task is running again: a refused retry is fine
                  }
                }));
        futures.add(pool.submit(() -> a.cancel(t.id())));
      }
    }
    for (Future<?> f : futures) {
      f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    pool.shutdown();
    Waits.until(
        "all terminal",
        WAIT,
        () -> tasks.stream().allMatch(t -> a.task(t.id()).status().isTerminal()));
    for (Task t : tasks) {
      Task now = a.task(t.id());
      List<Attempt> attempts = a.attempts(t.id());
      assertEquals(now.attempt(), attempts.size(), "one record per attempt");
      for (int i = 0; i < attempts.size(); i++) {
        assertEquals(i + 1, attempts.get(i).number());
      }
      List<TaskEvent> events = a.events(t.id());
      for (int i = 1; i < events.size(); i++) {
        TaskEvent e = events.get(i);
        if (e.isTransition()) {
          assertTrue(
              dev.orchestrator.lifecycle.Transitions.isAllowed(e.from(), e.to()), e.toString());
        }
      }
      assertTrue(now.attempt() >= 1);
      assertTrue(
          attempts.stream()
              .allMatch(
                  r ->
                      r.outcome() == AttemptOutcome.FATAL_FAILURE
                          || r.outcome() == AttemptOutcome.CANCELLED));
    }
    assertTrue(retried.get() > 0, "no retry ever won");
  }
}
