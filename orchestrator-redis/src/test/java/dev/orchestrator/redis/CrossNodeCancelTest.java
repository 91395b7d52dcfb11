package dev.orchestrator.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on PostgreSQL and Redis: a task runs on one and is cancelled through the other; the
 * event bus carries the cancel, so the handler is interrupted at once, long before the heartbeat (a
 * minute here) would have told its node.
 */
class CrossNodeCancelTest {
  private static final int CANCELS = 50;

  private RedisCluster cluster;
  private final List<Orchestrator> nodes = new ArrayList<>();
  private final Map<UUID, Long> interruptedAt = new ConcurrentHashMap<>();
  private final Map<UUID, String> ranOn = new ConcurrentHashMap<>();

  @BeforeEach
  void startNodes() {
    cluster = new RedisCluster(getClass(), RedisTestServer.url());
    for (String id : List.of("node-a", "node-b")) {
      nodes.add(
          cluster.start(
              id,
              b ->
                  b.handler("block", context -> block(context.task(), id))
                      .handler("quick", context -> quick(context.task(), id))
                      .workers(2)
                      // the await sweep (a store read every poll interval) cannot be what helps
                      .pollInterval(Duration.ofSeconds(10))
                      .heartbeatInterval(Duration.ofMinutes(1))
                      .leaseDuration(Duration.ofMinutes(3))));
    }
    Waits.until(
        "both buses subscribed",
        Duration.ofSeconds(10),
        () -> cluster.bus(0).isListening() && cluster.bus(1).isListening());
  }

  private HandlerResult block(Task task, String node) {
    ranOn.put(task.id(), node);
    try {
      Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    } catch (InterruptedException e) {
      interruptedAt.put(task.id(), System.nanoTime());
    }
    return HandlerResult.of("interrupted");
  }

  private final Map<UUID, Long> finishedAt = new ConcurrentHashMap<>();

  private HandlerResult quick(Task task, String node) {
    ranOn.put(task.id(), node);
    finishedAt.put(task.id(), System.nanoTime());
    return HandlerResult.of("done on " + node);
  }

  @AfterEach
  void stopNodes() throws Exception {
    cluster.close();
  }

  @Test
  void aCancelOnOneNodeInterruptsTheHandlerOnTheOtherWithinMilliseconds() {
    List<Long> micros = new ArrayList<>();
    for (int i = 0; i < CANCELS; i++) {
      Orchestrator submitter = nodes.get(i % 2);
      UUID id = submitter.submit(TaskSpec.prompt("block " + i).type("block").build()).id();
      String runner =
          Waits.value("task " + i + " runs", Duration.ofSeconds(10), () -> ranOn.get(id));
      Orchestrator other = nodes.get(runner.equals("node-a") ? 1 : 0);
      long cancelAt = System.nanoTime();
      other.cancel(id, "cancelled from the other node");
      long heard =
          Waits.value(
              "the handler is interrupted", Duration.ofSeconds(5), () -> interruptedAt.get(id));
      micros.add(TimeUnit.NANOSECONDS.toMicros(heard - cancelAt));

      Task done = other.task(id);
      assertEquals(TaskStatus.CANCELLED, done.status());
      Attempt attempt =
          Waits.value(
              "the attempt record of task " + i,
              Duration.ofSeconds(10),
              () -> other.attempts(id).isEmpty() ? null : other.attempts(id).get(0));
      assertEquals(AttemptOutcome.CANCELLED, attempt.outcome());
    }
    Collections.sort(micros);
    long p50 = micros.get(micros.size() / 2);
    long p99 = micros.get((int) Math.ceil(micros.size() * 0.99) - 1);
    System.out.printf(
        "cross-node cancel over %d cancels: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        CANCELS, p50 / 1000.0, p99 / 1000.0, micros.get(micros.size() - 1) / 1000.0);
    // pushed, not polled: the other node would only poll its cancels every 10 s
    assertTrue(p50 < 100_000, "p50 of cross-node cancel " + p50 + " µs");
    long max = micros.get(micros.size() - 1);
    assertTrue(max < 2_000_000, "slowest cross-node cancel " + max + " µs");
  }

  @Test
  void awaitCompletesAtOnceForATaskThatEndedOnTheOtherNode() throws Exception {
    int remote = 0;
    for (int i = 0; i < 40 && remote < 10; i++) {
      Task t = nodes.get(0).submit(TaskSpec.prompt("quick " + i).type("quick").build());
      Task done = nodes.get(0).await(t.id()).get(5, TimeUnit.SECONDS);
      long heardAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - finishedAt.get(t.id()));
      assertEquals(TaskStatus.COMPLETED, done.status());
      if (ranOn.get(t.id()).equals("node-b")) {
        remote++;
        assertTrue(heardAfter < 3000, "await heard of a remote ending after " + heardAfter + " ms");
      }
    }
    assertTrue(remote > 0, "no task ran on the other node");
  }
}
