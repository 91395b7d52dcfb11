package dev.orchestrator.jdbc;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.ToolRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A pipeline node in a JVM of its own, for {@link PipelineCrashTest} to kill in the middle of a
 * run. The pipeline {@value #NAME} runs five tool steps one after another; on this node the third
 * step's tool never returns, so the node is killed holding it.
 *
 * <p>Arguments: JDBC URL, table prefix, node id, lease duration in milliseconds.
 */
public final class PipelineWorkerProcess {
  static final String NAME = "five";

  private PipelineWorkerProcess() {}

  /** The five-step pipeline; with {@code stuckAtThree} the third step's tool blocks for an hour. */
  static Pipelines pipelines(boolean stuckAtThree) {
    Tool step =
        Tool.builder("step")
            .parameters(
                "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"string\"}},"
                    + "\"required\":[\"n\"]}")
            .timeout(Duration.ofMinutes(5))
            .function(
                a -> {
                  if (stuckAtThree && a.path("n").asText().equals("3")) {
                    Thread.sleep(Duration.ofHours(1).toMillis());
                  }
                  return "step " + a.path("n").asText() + " done";
                })
            .build();
    return Pipelines.of(
        Pipeline.builder(NAME)
            .planner(
                (r, s) -> {
                  List<Plan.Step> steps = new ArrayList<>();
                  for (int n = 1; n <= 5; n++) {
                    Plan.Step st =
                        Plan.Step.tool(
                            "s" + n,
                            "step",
                            JsonNodeFactory.instance.objectNode().put("n", "" + n));
                    steps.add(n == 1 ? st : st.after("s" + (n - 1)));
                  }
                  return new Plan(r.goal(), steps);
                })
            .tools(ToolRegistry.of(step))
            .build());
  }

  public static void main(String[] args) throws InterruptedException {
    PostgresTaskStore store =
        PostgresTaskStore.builder().jdbcUrl(args[0], null, null).tablePrefix(args[1]).build();
    Duration lease = Duration.ofMillis(Long.parseLong(args[3]));
    Orchestrator node =
        pipelines(true)
            .install(
                Orchestrator.builder()
                    .store(store)
                    .queue(PostgresWorkSource.of(store))
                    .llm(MockLlmClient.builder().build())
                    .nodeId(args[2])
                    .workers(2)
                    .leaseDuration(lease)
                    .heartbeatInterval(lease.dividedBy(3)))
            .build()
            .start();
    System.out.println("pipeline worker " + node.nodeId() + " started");
    Thread.sleep(Long.MAX_VALUE);
  }
}
