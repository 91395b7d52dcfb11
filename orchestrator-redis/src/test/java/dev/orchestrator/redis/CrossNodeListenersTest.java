package dev.orchestrator.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.llm.LlmException;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on PostgreSQL with the Redis event bus, tasks retried back and forth between them: a
 * listener on each node hears every change of every task, wherever it happened, once and in order.
 */
class CrossNodeListenersTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private RedisCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void listenersOnEveryNodeHearEveryTasksChangesInOrder() throws Exception {
    cluster = new RedisCluster(getClass(), RedisTestServer.url());
    Map<UUID, Integer> calls = new ConcurrentHashMap<>();
    List<Map<UUID, List<TaskEvent>>> heard = new ArrayList<>();
    List<Orchestrator> nodes = new ArrayList<>();
    for (String id : List.of("node-a", "node-b")) {
      Map<UUID, List<TaskEvent>> mine = new ConcurrentHashMap<>();
      heard.add(mine);
      nodes.add(
          cluster.start(
              id,
              b ->
                  b.workers(4)
                      .defaultRetryPolicy(RetryPolicy.fixed(Duration.ofMillis(5)))
                      .listener(
                          e ->
                              mine.computeIfAbsent(e.taskId(), k -> new CopyOnWriteArrayList<>())
                                  .add(e))
                      .handler(
                          "flaky",
                          ctx -> {
                            if (calls.merge(ctx.task().id(), 1, Integer::sum) <= 2) {
                              throw new LlmException(ErrorKind.SERVER_ERROR, "flaky");
                            }
                            return HandlerResult.of("ok");
                          })));
    }
    Waits.until(
        "both buses subscribed",
        Duration.ofSeconds(10),
        () -> cluster.bus(0).isListening() && cluster.bus(1).isListening());
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      specs.add(TaskSpec.builder().type("flaky").maxAttempts(3).build());
    }
    List<Task> tasks = nodes.get(0).submitAll(specs);
    for (Task t : tasks) {
      assertEquals(
          TaskStatus.COMPLETED,
          nodes.get(1).await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS).status());
    }
    for (int n = 0; n < nodes.size(); n++) {
      Map<UUID, List<TaskEvent>> mine = heard.get(n);
      for (Task t : tasks) {
        Waits.until(
            "node " + n + " heard the completion of " + t.id(),
            WAIT,
            () ->
                mine.getOrDefault(t.id(), List.of()).stream()
                    .anyMatch(e -> e.to() == TaskStatus.COMPLETED));
        List<String> stored =
            nodes.get(0).events(t.id()).stream()
                .filter(TaskEvent::isTransition)
                .map(e -> e.from() + ">" + e.to() + "@" + e.version())
                .toList();
        List<String> got =
            mine.get(t.id()).stream()
                .filter(TaskEvent::isTransition)
                .map(e -> e.from() + ">" + e.to() + "@" + e.version())
                .toList();
        assertEquals(stored, got, "node " + n + ", task " + t.id());
      }
    }
  }
}
