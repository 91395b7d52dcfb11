package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker node in another JVM is killed with SIGKILL while it holds running tasks; once their
 * leases expire, a surviving node reaps them (recording LEASE_EXPIRED) and runs every one to
 * completion.
 */
class CrashRecoveryTest {
  private static final int TASKS = 12;
  private static final Duration LEASE = Duration.ofSeconds(3);

  @Test
  void aKilledNodesTasksAreRecoveredAfterTheirLeaseExpires() throws Exception {
    String prefix = PostgresTestDatabase.newPrefix(getClass());
    try (HikariDataSource dataSource = PostgresTestDatabase.dataSource(6)) {
      PostgresTaskStore store =
          PostgresTaskStore.builder().dataSource(dataSource).tablePrefix(prefix).build();
      Process victim = startWorker(prefix, "victim");
      try (PostgresWorkSource source = PostgresWorkSource.of(store);
          Orchestrator submitter = node(store, source, "submitter")) {
        List<Task> submitted = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
          submitted.add(submitter.submit(TaskSpec.prompt("crash test " + i).build()));
        }
        Waits.until(
            "the victim holds every task",
            Duration.ofSeconds(60),
            () -> running(store, "victim") == TASKS);

        victim.destroyForcibly(); // SIGKILL: no shutdown hook, no release, no goodbye
        assertTrue(victim.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, victim.exitValue(), "killed by SIGKILL");
        assertEquals(
            TASKS, running(store, "victim"), "its tasks are still RUNNING under its lease");

        submitter.start(); // the surviving node: its reaper finds the expired leases
        for (Task t : submitted) {
          Task done = submitter.await(t.id()).get(60, TimeUnit.SECONDS);
          assertEquals(TaskStatus.COMPLETED, done.status(), done.toString());
          assertEquals(MockLlmClient.outputFor(t.prompt()), done.output());
          List<Attempt> attempts = store.attempts(t.id());
          assertEquals(2, attempts.size(), attempts.toString());
          assertEquals(AttemptOutcome.LEASE_EXPIRED, attempts.get(0).outcome());
          assertEquals(ErrorKind.LEASE_EXPIRED, attempts.get(0).error().kind());
          assertEquals("victim", attempts.get(0).worker());
          assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(1).outcome());
          assertEquals("submitter", attempts.get(1).worker());
        }
      } finally {
        victim.destroyForcibly();
        PostgresTestDatabase.drop(dataSource, prefix);
      }
    }
  }

  private static Orchestrator node(PostgresTaskStore store, PostgresWorkSource source, String id) {
    return Orchestrator.builder()
        .store(store)
        .queue(source)
        .llm(MockLlmClient.builder().build())
        .nodeId(id)
        .workers(4)
        .leaseDuration(LEASE)
        .heartbeatInterval(Duration.ofSeconds(1))
        .reaperInterval(Duration.ofMillis(200))
        .schedulerMaxIdle(Duration.ofMillis(100))
        .defaultRetryPolicy(RetryPolicy.fixed(Duration.ofMillis(50)))
        .build();
  }

  private static long running(PostgresTaskStore store, String owner) {
    return store
        .query(TaskQuery.builder().status(TaskStatus.RUNNING).limit(1000).build())
        .items()
        .stream()
        .filter(t -> owner.equals(t.leaseOwner()))
        .count();
  }

  /** Starts {@link WorkerProcess} in a new JVM on this test's classpath. */
  private static Process startWorker(String prefix, String nodeId) throws Exception {
    return WorkerJvm.start(
        WorkerProcess.class,
        "worker-" + nodeId,
        PostgresTestDatabase.url(),
        prefix,
        nodeId,
        Integer.toString(TASKS),
        Long.toString(LEASE.toMillis()));
  }
}
