package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.OrchestratorException;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The database drops every connection of two working nodes again and again (as a restart or a
 * failover does): statements fail mid-flight, commits are lost or their answers are, the listener
 * connection dies. Every submitted task still ends in exactly one terminal status, the submitter's
 * retries with the same idempotency keys create no duplicates, and no attempt is claimed twice.
 */
class ConnectionLossTest {
  private static final String APP = "orchestrator-connection-loss";
  private static final int TASKS = 1500;
  private static final int BATCH = 100;

  private PostgresCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyTaskEndsOnceThoughTheDatabaseKeepsDroppingConnections() throws Exception {
    cluster = new PostgresCluster(getClass());
    String url = PostgresTestDatabase.url();
    String nodesUrl = url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + APP;
    for (int i = 0; i < 2; i++) {
      String id = "node-" + i;
      cluster.start(
          nodesUrl,
          6,
          (store, source) ->
              Orchestrator.builder()
                  .store(store)
                  .queue(source)
                  .nodeId(id)
                  .workers(4)
                  .llm(MockLlmClient.builder().latency(Duration.ofMillis(5)).build())
                  .leaseDuration(Duration.ofSeconds(2))
                  .heartbeatInterval(Duration.ofMillis(500))
                  .reaperInterval(Duration.ofMillis(300))
                  .reconcileInterval(Duration.ofSeconds(1))
                  .reconcileAfter(Duration.ofSeconds(1))
                  .schedulerMaxIdle(Duration.ofMillis(100))
                  .pollInterval(Duration.ofMillis(200))
                  .defaultMaxAttempts(20)
                  .defaultRetryPolicy(RetryPolicy.fixed(Duration.ofMillis(50)))
                  .build()
                  .start());
    }

    AtomicBoolean chaos = new AtomicBoolean(true);
    AtomicInteger kills = new AtomicInteger();
    Thread killer =
        new Thread(
            () -> {
              Jdbc jdbc = new Jdbc(cluster.admin());
              while (chaos.get()) {
                try {
                  Thread.sleep(400);
                  kills.addAndGet(
                      jdbc.query(
                              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                  + " WHERE application_name = ? AND pid <> pg_backend_pid()",
                              rs -> rs.getBoolean(1),
                              APP)
                          .size());
                } catch (InterruptedException e) {
                  return;
                } catch (RuntimeException e) {
                  // the admin pool may see a dropped connection too; go on
                }
              }
            },
            "connection-killer");
    killer.start();
    int submitRetries = 0;
    try {
      for (int b = 0; b < TASKS / BATCH; b++) {
        List<TaskSpec> specs = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
          int n = b * BATCH + i;
          specs.add(TaskSpec.prompt("task " + n).idempotencyKey("task-" + n).build());
        }
        while (true) { // a submit whose answer was lost is sent again: the keys make it safe
          try {
            cluster.node(b % 2).submitAll(specs);
            break;
          } catch (OrchestratorException e) {
            submitRetries++;
            Thread.sleep(20);
          }
        }
      }
      Waits.until(
          "every task terminal while connections keep dropping",
          Duration.ofMinutes(3),
          () -> terminal(cluster.store(0)) == TASKS);
    } finally {
      chaos.set(false);
      killer.interrupt();
      killer.join();
    }
    // a last look, on calm connections
    Waits.until(
        "every task terminal", Duration.ofMinutes(1), () -> terminal(cluster.store(0)) == TASKS);

    Jdbc jdbc = new Jdbc(cluster.admin());
    assertEquals(
        TASKS,
        jdbc.queryOne("SELECT count(*) FROM " + cluster.prefix() + "tasks", rs -> rs.getLong(1))
            .orElseThrow(),
        "idempotency keys kept resubmitted batches from adding tasks");
    assertEquals(
        List.of(),
        jdbc.query(
            "SELECT task_id FROM "
                + cluster.prefix()
                + "events WHERE to_status IN ('COMPLETED', 'FAILED',"
                + " 'CANCELLED') AND from_status IS DISTINCT FROM to_status GROUP BY task_id HAVING count(*) <> 1",
            rs -> rs.getObject(1)),
        "tasks that did not reach a terminal status exactly once");
    assertEquals(
        List.of(),
        jdbc.query(
            "SELECT task_id FROM "
                + cluster.prefix()
                + "events WHERE from_status = 'QUEUED' AND to_status = 'RUNNING'"
                + " GROUP BY task_id, attempt HAVING count(*) > 1",
            rs -> rs.getObject(1)),
        "attempts claimed twice");
    Map<TaskStatus, Long> counts = cluster.store(0).countByStatus();
    assertEquals(TASKS, counts.getOrDefault(TaskStatus.COMPLETED, 0L), counts.toString());
    for (Task t :
        cluster.store(0).query(dev.orchestrator.TaskQuery.builder().limit(1000).build()).items()) {
      List<Attempt> attempts = cluster.store(0).attempts(t.id());
      assertEquals(t.attempt(), attempts.size(), "one record per attempt of " + t.id());
      assertEquals(MockLlmClient.outputFor(t.prompt()), t.output());
    }
    assertTrue(kills.get() > 0, "the test never dropped a connection");
    System.out.printf(
        "connection loss: %d connections dropped, %d submits sent again%n",
        kills.get(), submitRetries);
  }

  private static long terminal(PostgresTaskStore store) {
    try {
      Map<TaskStatus, Long> counts = store.countByStatus();
      return counts.getOrDefault(TaskStatus.COMPLETED, 0L)
          + counts.getOrDefault(TaskStatus.FAILED, 0L)
          + counts.getOrDefault(TaskStatus.CANCELLED, 0L);
    } catch (RuntimeException e) {
      return -1; // this read lost its connection; ask again
    }
  }
}
