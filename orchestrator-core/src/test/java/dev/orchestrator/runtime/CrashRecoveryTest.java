package dev.orchestrator.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.memory.InMemoryEventBus;
import dev.orchestrator.memory.InMemoryTaskQueue;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.ManualClock;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.DelegatingTaskStore;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A node stops heartbeating mid-run (its link to the store is cut, as in a crash or a partition);
 * another node's reaper recovers its tasks once the leases expire on a controlled clock.
 */
class CrashRecoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration LEASE = Duration.ofSeconds(30);

  /** A store whose every call fails while {@link #cut} is set: the node behind it is gone. */
  static final class CuttableStore extends DelegatingTaskStore {
    volatile boolean cut;

    CuttableStore(TaskStore delegate) {
      super(delegate);
    }

    @Override
    protected <T> T call(Supplier<T> op) {
      if (cut) {
        throw new IllegalStateException("connection to the store lost");
      }
      return op.get();
    }
  }

  @Test
  void anotherNodeRecoversTheTasksOfANodeThatStoppedHeartbeating() throws Exception {
    ManualClock clock = ManualClock.startingNow();
    InMemoryTaskStore shared = new InMemoryTaskStore();
    InMemoryTaskQueue queue = new InMemoryTaskQueue();
    InMemoryEventBus bus = new InMemoryEventBus();
    CuttableStore linkOfA = new CuttableStore(shared);
    CountDownLatch wakeA = new CountDownLatch(1);
    int n = 12;

    Orchestrator a =
        Orchestrator.builder()
            .nodeId("a")
            .store(linkOfA)
            .queue(queue)
            .eventBus(new InMemoryEventBus())
            .clock(clock)
            .workers(n)
            .leaseDuration(LEASE)
            .heartbeatInterval(Duration.ofMillis(50))
            .reaperInterval(Duration.ofMillis(50))
            .pollInterval(Duration.ofMillis(20))
            .shutdownGrace(Duration.ZERO)
            .handler(
                "work",
                ctx -> {
                  wakeA.await(); // hangs until the test lets the zombie go on
                  return HandlerResult.of("zombie output");
                })
            .build()
            .start();
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      specs.add(TaskSpec.builder().type("work").maxAttempts(3).build());
    }
    List<Task> tasks = a.submitAll(specs);
    Waits.until(
        "node a runs every task",
        WAIT,
        () -> shared.countByStatus().getOrDefault(TaskStatus.RUNNING, 0L) == n);

    linkOfA.cut = true; // node a is gone: no heartbeat, no completion
    Orchestrator b =
        Orchestrator.builder()
            .nodeId("b")
            .store(shared)
            .queue(queue)
            .eventBus(bus)
            .clock(clock)
            .workers(4)
            .leaseDuration(LEASE)
            .heartbeatInterval(Duration.ofMillis(50))
            .reaperInterval(Duration.ofMillis(20))
            .reconcileInterval(Duration.ofMillis(50))
            .reconcileAfter(Duration.ofSeconds(1))
            .pollInterval(Duration.ofMillis(20))
            .defaultRetryPolicy(RetryPolicy.fixed(Duration.ZERO))
            .handler("work", ctx -> HandlerResult.of("recovered by b"))
            .build()
            .start();
    try {
      // leases are still valid: b must leave a's tasks alone until they expire
      assertEquals(
          0,
          new Reaper(
                  shared,
                  new Transitioner(
                      shared,
                      queue,
                      bus,
                      clock,
                      dev.orchestrator.metrics.MetricsRecorder.NOOP,
                      RetryPolicy.DEFAULT),
                  100)
              .reap());
      clock.advance(LEASE.plusSeconds(1));
      Waits.until(
          "b completes every task",
          WAIT,
          () -> shared.countByStatus().getOrDefault(TaskStatus.COMPLETED, 0L) == n);

      linkOfA.cut = false; // the zombie comes back and tries to finish its old attempts
      wakeA.countDown();
      a.close();
      for (Task t : tasks) {
        Task now = shared.get(t.id()).orElseThrow();
        assertEquals(TaskStatus.COMPLETED, now.status());
        assertEquals("recovered by b", now.output());
        List<Attempt> attempts = shared.attempts(t.id());
        assertEquals(2, attempts.size(), attempts.toString());
        assertEquals(AttemptOutcome.LEASE_EXPIRED, attempts.get(0).outcome());
        assertEquals("a", attempts.get(0).worker());
        assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(1).outcome());
        assertEquals("b", attempts.get(1).worker());
        assertEquals(
            1, shared.events(t.id()).stream().filter(e -> e.to() == TaskStatus.COMPLETED).count());
      }
    } finally {
      wakeA.countDown();
      a.close();
      b.close();
    }
  }

  @Test
  void aHandlerThatIgnoresItsTimeoutIsEndedAtOnceAndNoLongerRenewed() throws Exception {
    ManualClock clock = ManualClock.startingNow();
    CountDownLatch letStubbornGo = new CountDownLatch(1);
    CountDownLatch letSteadyGo = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger stubbornCalls =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean interrupted =
        new java.util.concurrent.atomic.AtomicBoolean();
    List<Set<UUID>> renewals = new java.util.concurrent.CopyOnWriteArrayList<>();
    InMemoryTaskStore memory = new InMemoryTaskStore();
    DelegatingTaskStore store =
        new DelegatingTaskStore(memory) {
          @Override
          public Set<UUID> renewLeases(String owner, Collection<UUID> ids, Instant expiresAt) {
            renewals.add(Set.copyOf(ids));
            return super.renewLeases(owner, ids, expiresAt);
          }
        };
    try (Orchestrator node =
        Orchestrator.builder()
            .store(store)
            .clock(clock)
            .workers(2)
            .leaseDuration(LEASE)
            .heartbeatInterval(Duration.ofMillis(20))
            .reaperInterval(Duration.ofMillis(20))
            .pollInterval(Duration.ofMillis(20))
            .shutdownGrace(Duration.ZERO)
            .defaultRetryPolicy(RetryPolicy.fixed(Duration.ZERO))
            .handler(
                "steady",
                ctx -> {
                  letSteadyGo.await();
                  return HandlerResult.of("steady");
                })
            .handler(
                "stubborn",
                ctx -> {
                  if (stubbornCalls.incrementAndGet() > 1) {
                    return HandlerResult.of("second attempt");
                  }
                  while (true) { // deaf to interrupts: the timeout cannot stop it
                    try {
                      letStubbornGo.await();
                      return HandlerResult.of("too late");
                    } catch (InterruptedException e) {
                      interrupted.set(true);
                    }
                  }
                })
            .build()
            .start()) {
      Task steady = node.submit(TaskSpec.builder().type("steady").build());
      Task stubborn =
          node.submit(TaskSpec.builder().type("stubborn").timeout(Duration.ofMillis(50)).build());
      Waits.until("the timeout interrupted the stubborn handler", WAIT, interrupted::get);
      int before = renewals.size();
      Waits.until(
          "a heartbeat that renews the steady task alone",
          WAIT,
          () ->
              renewals.subList(before, renewals.size()).stream()
                  .anyMatch(ids -> ids.contains(steady.id()) && !ids.contains(stubborn.id())));
      letSteadyGo.countDown();
      node.await(steady.id()).get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);

      // the timeout ended the first attempt when it fired: no lease has to run out first
      Task done =
          node.await(stubborn.id()).get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      assertEquals("second attempt", done.output());
      letStubbornGo.countDown();
      List<Attempt> attempts = node.attempts(stubborn.id());
      assertEquals(AttemptOutcome.TIMED_OUT, attempts.get(0).outcome());
      assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(1).outcome());
      Waits.until(
          "the stubborn handler's late result kept on its attempt record",
          WAIT,
          () -> "too late".equals(node.attempts(stubborn.id()).get(0).output()));
      assertEquals("second attempt", node.get(stubborn.id()).orElseThrow().output());
    } finally {
      letStubbornGo.countDown();
      letSteadyGo.countDown();
    }
  }
}
