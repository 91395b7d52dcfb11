package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A pipeline node in another JVM is killed with SIGKILL during step 3 of 5: the run completes on
 * another node, from its completed steps: steps 1 and 2 ran exactly once, step 3's killed attempt
 * is LEASE_EXPIRED and its retry, and steps 4 and 5, ran on the survivor.
 */
class PipelineCrashTest {
  private static final Duration LEASE = Duration.ofSeconds(3);

  @Test
  void aRunKilledDuringItsThirdStepCompletesOnAnotherNodeFromItsCompletedSteps() throws Exception {
    String prefix = PostgresTestDatabase.newPrefix(getClass());
    try (HikariDataSource dataSource = PostgresTestDatabase.dataSource(6)) {
      PostgresTaskStore store =
          PostgresTaskStore.builder().dataSource(dataSource).tablePrefix(prefix).build();
      Pipelines pipelines = PipelineWorkerProcess.pipelines(false);
      Process victim = startWorker(prefix, "victim");
      try (PostgresWorkSource source = PostgresWorkSource.of(store);
          Orchestrator survivor =
              pipelines
                  .install(
                      Orchestrator.builder()
                          .store(store)
                          .queue(source)
                          .llm(MockLlmClient.builder().build())
                          .nodeId("survivor")
                          .workers(2)
                          .leaseDuration(LEASE)
                          .heartbeatInterval(Duration.ofSeconds(1))
                          .reaperInterval(Duration.ofMillis(200))
                          .schedulerMaxIdle(Duration.ofMillis(100))
                          .defaultRetryPolicy(RetryPolicy.fixed(Duration.ofMillis(50))))
                  .build()) {
        // submitted from the survivor before it starts: only the victim runs, until it is killed
        PipelineRun run =
            pipelines.start(survivor, PipelineWorkerProcess.NAME, "five steps", Map.of());
        Waits.until(
            "the victim runs step 3",
            Duration.ofSeconds(60),
            () -> {
              PipelineRun now = pipelines.run(survivor, run.id());
              return now.completedSteps() == 2 && now.currentSteps().equals(List.of("s3"));
            });
        victim.destroyForcibly(); // SIGKILL
        assertTrue(victim.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, victim.exitValue(), "killed by SIGKILL");

        survivor.start();
        PipelineRun done = pipelines.await(survivor, run.id(), Duration.ofSeconds(60));
        assertEquals(PipelineRun.Status.COMPLETED, done.status(), done.error());
        assertEquals("step 5 done", done.result());
        for (PipelineRun.StepView step : done.steps()) {
          List<Attempt> attempts = store.attempts(step.taskId());
          switch (step.id()) {
            case "s1", "s2" -> {
              assertEquals(1, attempts.size(), step.id() + " ran exactly once: " + attempts);
              assertEquals("victim", attempts.get(0).worker());
            }
            case "s3" -> {
              assertEquals(2, attempts.size(), attempts.toString());
              assertEquals(AttemptOutcome.LEASE_EXPIRED, attempts.get(0).outcome());
              assertEquals("victim", attempts.get(0).worker());
              assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(1).outcome());
              assertEquals("survivor", attempts.get(1).worker());
            }
            default -> {
              assertEquals(1, attempts.size(), attempts.toString());
              assertEquals("survivor", attempts.get(0).worker());
            }
          }
          assertEquals(TaskStatus.COMPLETED, step.status());
        }
      } finally {
        victim.destroyForcibly();
        PostgresTestDatabase.drop(dataSource, prefix);
      }
    }
  }

  /** Starts {@link PipelineWorkerProcess} in a new JVM on this test's classpath. */
  private static Process startWorker(String prefix, String nodeId) throws Exception {
    return WorkerJvm.start(
        PipelineWorkerProcess.class,
        "pipeline-worker-" + nodeId,
        PostgresTestDatabase.url(),
        prefix,
        nodeId,
        Long.toString(LEASE.toMillis()));
  }
}
