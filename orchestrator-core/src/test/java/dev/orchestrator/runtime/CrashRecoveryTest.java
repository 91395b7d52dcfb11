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
import java.util.ArrayList;
import java.util.List;
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
}
