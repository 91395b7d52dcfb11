package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three orchestrator nodes share one database through the PostgreSQL store and work source: 10,000
 * tasks, some failing and retried, some cancelled at random while they wait or run. Every task ends
 * in exactly one terminal status, its attempt records are numbered 1..attempt with one claim each,
 * and no attempt was claimed by two nodes.
 */
class MultiNodeTest {
  private static final int TASKS = 10_000;
  private static final int NODES = 3;
  private static final String FLAKY = "[flaky]";

  private PostgresCluster cluster;

  @BeforeEach
  void startNodes() {
    cluster = new PostgresCluster(getClass());
    for (int i = 0; i < NODES; i++) {
      String id = "node-" + i;
      cluster.start(
          PostgresTestDatabase.url(),
          8,
          (store, source) ->
              Orchestrator.builder()
                  .store(store)
                  .queue(source)
                  .llm(MockLlmClient.builder().failFirst(FLAKY, 1, ErrorKind.SERVER_ERROR).build())
                  .workers(4)
                  .nodeId(id)
                  .leaseDuration(Duration.ofSeconds(30))
                  .heartbeatInterval(Duration.ofSeconds(5))
                  .schedulerMaxIdle(Duration.ofMillis(100))
                  .defaultMaxAttempts(5) // each node's mock fails a flaky prompt once: 3 at most
                  .defaultRetryPolicy(
                      new RetryPolicy(Duration.ofMillis(20), 1.0, Duration.ofMillis(20)))
                  .build()
                  .start());
    }
  }

  @AfterEach
  void stopNodes() {
    if (cluster != null) { // null when the set-up was skipped for want of a server
      cluster.close();
    }
  }

  @Test
  void everyTaskEndsOnceAndNoAttemptRunsTwice() {
    Random random = new Random(42);
    List<UUID> ids = new ArrayList<>();
    List<UUID> cancelled = new ArrayList<>();
    for (int batch = 0; batch < TASKS / 500; batch++) {
      List<TaskSpec> specs = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        int n = batch * 500 + i;
        specs.add(TaskSpec.prompt((n % 7 == 0 ? FLAKY : "") + " task " + n).build());
      }
      Orchestrator submitter = cluster.node(batch % NODES);
      for (Task t : submitter.submitAll(specs)) {
        ids.add(t.id());
      }
      for (int c = 0; c < 25; c++) { // cancel some at random, through any node
        UUID victim = ids.get(random.nextInt(ids.size()));
        Task after = cluster.node(random.nextInt(NODES)).cancel(victim);
        if (after.status() == TaskStatus.CANCELLED) {
          cancelled.add(victim);
        }
      }
    }
    PostgresTaskStore store = cluster.store(0);
    Waits.until(
        "every task terminal",
        Duration.ofMinutes(4),
        () -> {
          Map<TaskStatus, Long> counts = store.countByStatus();
          long terminal =
              counts.getOrDefault(TaskStatus.COMPLETED, 0L)
                  + counts.getOrDefault(TaskStatus.FAILED, 0L)
                  + counts.getOrDefault(TaskStatus.CANCELLED, 0L);
          return terminal == TASKS;
        });

    Jdbc jdbc = new Jdbc(cluster.admin());
    assertEquals(
        List.of(),
        jdbc.query(
            "SELECT task_id FROM "
                + cluster.prefix()
                + "events WHERE to_status IN"
                + " ('COMPLETED', 'FAILED', 'CANCELLED') AND from_status IS DISTINCT FROM to_status"
                + " GROUP BY task_id HAVING count(*) <> 1",
            rs -> rs.getObject(1)),
        "tasks that did not reach a terminal status exactly once");
    assertEquals(
        List.of(),
        jdbc.query(
            "SELECT task_id, attempt FROM "
                + cluster.prefix()
                + "events"
                + " WHERE from_status = 'QUEUED' AND to_status = 'RUNNING'"
                + " GROUP BY task_id, attempt HAVING count(*) > 1",
            rs -> rs.getObject(1)),
        "attempts claimed twice");
    assertEquals(
        List.of(),
        jdbc.query(
            "SELECT a.task_id FROM "
                + cluster.prefix()
                + "attempts a JOIN "
                + cluster.prefix()
                + "events e"
                + " ON e.task_id = a.task_id AND e.attempt = a.number"
                + " AND e.from_status = 'QUEUED' AND e.to_status = 'RUNNING'"
                + " WHERE e.reason <> 'claimed by ' || a.worker",
            rs -> rs.getObject(1)),
        "attempts recorded by a node other than the one that claimed them");

    Map<TaskStatus, Integer> statuses = new HashMap<>();
    int retried = 0;
    List<Task> all = new ArrayList<>();
    for (int from = 0; from < ids.size(); from += 1000) {
      all.addAll(store.getAll(ids.subList(from, Math.min(ids.size(), from + 1000))));
    }
    assertEquals(TASKS, all.size());
    for (Task t : all) {
      statuses.merge(t.status(), 1, Integer::sum);
      List<Attempt> attempts = store.attempts(t.id());
      assertEquals(t.attempt(), attempts.size(), "one record per attempt of " + t.id());
      for (int i = 0; i < attempts.size(); i++) {
        Attempt a = attempts.get(i);
        assertEquals(i + 1, a.number());
        assertTrue(a.worker() != null && a.worker().startsWith("node-"), a.worker());
        boolean last = i == attempts.size() - 1;
        if (!last) {
          assertEquals(AttemptOutcome.RETRYABLE_FAILURE, a.outcome(), "attempt " + a);
        }
      }
      if (t.status() == TaskStatus.COMPLETED) {
        assertEquals(MockLlmClient.outputFor(t.prompt()), t.output());
        assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(attempts.size() - 1).outcome());
        if (attempts.size() > 1) {
          retried++;
        }
      }
    }
    for (UUID id : cancelled) {
      assertEquals(TaskStatus.CANCELLED, store.get(id).orElseThrow().status());
    }
    assertEquals(TASKS, statuses.values().stream().mapToInt(Integer::intValue).sum());
    assertTrue(retried > 0, "some flaky tasks were retried: " + statuses);
    assertEquals(0, statuses.getOrDefault(TaskStatus.FAILED, 0), "nothing exhausted its budget");
    System.out.printf("multi-node: %s, %d completed after a retry%n", statuses, retried);
  }
}
