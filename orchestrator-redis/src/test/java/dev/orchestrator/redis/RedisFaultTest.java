package dev.orchestrator.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis is only a hint: two nodes on PostgreSQL keep running every task when their own Redis server
 * is stopped mid-run and started again, or flushed. The reconciler is left at its default (30 s),
 * so the quick recovery measured here comes from the queue itself: claiming from the store while
 * Redis is down, and catching up from the store once it sees Redis lost its keys.
 */
class RedisFaultTest {
  private static final String MODEL = "fault-model";

  private RedisProcess redis;
  private RedisCluster cluster;
  private final List<Orchestrator> nodes = new ArrayList<>();
  private final List<UUID> submitted = new ArrayList<>();

  @BeforeEach
  void startNodes() throws Exception {
    redis = new RedisProcess();
    cluster = new RedisCluster(getClass(), redis.url());
    for (String id : List.of("node-a", "node-b")) {
      RedisRateLimiter limiter = cluster.limiter(RedisRateLimiter.builder().limit(MODEL, 2000, 0));
      nodes.add(
          cluster.start(
              id,
              b ->
                  b.llm(MockLlmClient.builder().latency(Duration.ofMillis(10)).build())
                      .rateLimiter(limiter)
                      .workers(4)
                      .pollInterval(Duration.ofMillis(500))));
    }
  }

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private void submit(int count) {
    for (int i = 0; i < count; i += 50) {
      List<TaskSpec> specs = new ArrayList<>();
      for (int j = 0; j < 50; j++) {
        specs.add(
            TaskSpec.prompt("fault task " + (submitted.size() + specs.size()))
                .model(MODEL)
                .build());
      }
      nodes.get((submitted.size() / 50) % 2).submitAll(specs).forEach(t -> submitted.add(t.id()));
    }
  }

  private long terminal() {
    var counts = cluster.store(0).countByStatus();
    return counts.getOrDefault(TaskStatus.COMPLETED, 0L)
        + counts.getOrDefault(TaskStatus.FAILED, 0L)
        + counts.getOrDefault(TaskStatus.CANCELLED, 0L);
  }

  /** Waits until every submitted task is terminal; returns the milliseconds since {@code from}. */
  private long allTerminalAfter(long from) {
    Waits.until(
        "all " + submitted.size() + " tasks terminal",
        Duration.ofSeconds(25),
        () -> terminal() == submitted.size());
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - from);
  }

  /** Every task completed exactly once, in one attempt claimed once. */
  private void assertEachTaskEndedOnce() {
    TaskStore store = cluster.store(1);
    for (UUID id : submitted) {
      Task t = store.get(id).orElseThrow();
      assertEquals(TaskStatus.COMPLETED, t.status(), "task " + id);
      long endings = store.events(id).stream().filter(e -> e.to().isTerminal()).count();
      assertEquals(1, endings, "terminal events of " + id);
      var attempts = store.attempts(id);
      assertEquals(1, attempts.size(), "attempts of " + id);
      assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(0).outcome());
    }
  }

  @Test
  void redisStoppedMidRunAndStartedAgain() throws Exception {
    submit(300);
    Waits.until("the run is under way", Duration.ofSeconds(20), () -> terminal() >= 50);
    long stoppedAt = System.nanoTime();
    redis.stop();
    submit(100); // offered while Redis is down: only the store has them
    long duringOutage = allTerminalAfter(stoppedAt);
    assertFalse(cluster.queue(0).isConnected() || cluster.queue(1).isConnected());

    submit(100); // still down
    long startedAt = System.nanoTime();
    redis.start();
    submit(100);
    Waits.until(
        "both queues back on Redis",
        Duration.ofSeconds(10),
        () -> cluster.queue(0).isConnected() && cluster.queue(1).isConnected());
    long backOnRedis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
    long afterRestart = allTerminalAfter(startedAt);
    System.out.printf(
        "Redis stopped mid-run: the %d tasks submitted before and during the outage all done %d ms"
            + " after the stop; Redis started again: both queues back on it %d ms after the start,"
            + " all %d tasks done %d ms after it%n",
        400, duringOutage, backOnRedis, submitted.size(), afterRestart);
    assertEachTaskEndedOnce();
  }

  @Test
  void redisFlushedMidRun() throws Exception {
    submit(400);
    Waits.until("the run is under way", Duration.ofSeconds(20), () -> terminal() >= 50);
    long doneAtFlush = terminal();
    long flushedAt = System.nanoTime();
    redis.flushAll();
    long recovery = allTerminalAfter(flushedAt);
    submit(100);
    long after = System.nanoTime();
    long next = allTerminalAfter(after);
    System.out.printf(
        "Redis flushed with %d of 400 tasks done: all done %d ms after the flush; 100 more"
            + " submitted after it done in %d ms%n",
        doneAtFlush, recovery, next);
    assertEachTaskEndedOnce();
  }
}
