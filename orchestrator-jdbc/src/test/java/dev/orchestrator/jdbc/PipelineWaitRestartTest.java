package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A pipeline run waiting for an approval survives a restart of every node: the nodes that ran it
 * are closed while it waits, a node started afresh on the same tables takes the signal, and the run
 * completes with the approval's payload.
 */
class PipelineWaitRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static final Pipelines PIPELINES =
      Pipelines.of(
          Pipeline.builder("approved")
              .planner(
                  (r, s) ->
                      new Plan(
                          r.goal(),
                          List.of(
                              Plan.Step.await("approve", "approval"),
                              Plan.Step.tool(
                                      "publish",
                                      "publish",
                                      JsonNodeFactory.instance
                                          .objectNode()
                                          .put("by", "${steps.approve.output}"))
                                  .after("approve"))))
              .tools(
                  ToolRegistry.of(
                      Tool.builder("publish")
                          .function(a -> "published, approved by " + a.path("by").asText())
                          .build()))
              .build());

  private static Orchestrator node(PostgresTaskStore store, PostgresWorkSource source, String id) {
    return PIPELINES
        .install(
            Orchestrator.builder()
                .store(store)
                .queue(source)
                .nodeId(id)
                .workers(2)
                .schedulerMaxIdle(Duration.ofMillis(50)))
        .build()
        .start();
  }

  @Test
  void aRunWaitingForAnApprovalContinuesOnANewNodeWhenSignalled() throws Exception {
    String prefix = PostgresTestDatabase.newPrefix(getClass());
    try (HikariDataSource dataSource = PostgresTestDatabase.dataSource(6)) {
      try {
        PostgresTaskStore store =
            PostgresTaskStore.builder().dataSource(dataSource).tablePrefix(prefix).build();
        PipelineRun run;
        try (PostgresWorkSource source = PostgresWorkSource.of(store);
            Orchestrator first = node(store, source, "first");
            Orchestrator second = node(store, source, "second")) {
          run = PIPELINES.start(first, "approved", "publish the report", Map.of());
          Waits.until(
              "the approval step waits",
              WAIT,
              () -> {
                PipelineRun now = PIPELINES.run(first, run.id());
                return now.steps().size() == 2
                    && now.steps().get(0).status() == TaskStatus.SCHEDULED;
              });
        } // every node closed while the run waits
        PostgresTaskStore fresh =
            PostgresTaskStore.builder().dataSource(dataSource).tablePrefix(prefix).build();
        try (PostgresWorkSource source = PostgresWorkSource.of(fresh);
            Orchestrator third = node(fresh, source, "third")) {
          assertEquals(
              TaskStatus.SCHEDULED, PIPELINES.run(third, run.id()).steps().get(0).status());
          assertTrue(PIPELINES.signal(third, run.id(), "approval", "jo"));
          PipelineRun done = PIPELINES.await(third, run.id(), WAIT);
          assertEquals(PipelineRun.Status.COMPLETED, done.status(), done.error());
          assertEquals("published, approved by jo", done.result());
          assertEquals(1, done.steps().get(0).attempts(), "the wait cost no attempt");
        }
      } finally {
        PostgresTestDatabase.drop(dataSource, prefix);
      }
    }
  }
}
