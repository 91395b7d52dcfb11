package dev.orchestrator.spring.web;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.llm.LlmException;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spring.OrchestratorHandler;
import java.util.List;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * A host service as a user writes one: auto-configuration only, a few handlers, two deterministic
 * pipelines, and owners from {@code X-User-Id} when a request has one (none: every owner, as an
 * operator).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class ApiTestApplication {
  /** Answers "value of KEY": the same arguments always give the same output. */
  static final Tool LOOKUP =
      Tool.builder("lookup")
          .description("Looks a key up")
          .parameters(
              "{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"}},"
                  + "\"required\":[\"key\"]}")
          .maxAttempts(2)
          .function(args -> "value of " + args.path("key").asText())
          .build();

  /** Two lookups at once (one of the context's key), then an LLM step that joins them. */
  @Bean
  Pipeline lookupPipeline() {
    return Pipeline.builder("lookup")
        .planner(
            (request, stage) ->
                new Plan(
                    request.goal(),
                    List.of(
                        Plan.Step.tool(
                            "a",
                            "lookup",
                            JsonNodeFactory.instance.objectNode().put("key", "${context.key}")),
                        Plan.Step.tool(
                            "b", "lookup", JsonNodeFactory.instance.objectNode().put("key", "b")),
                        Plan.Step.llm("join", "Join ${steps.a.output} and ${steps.b.output}")
                            .after("a", "b"))))
        .tools(ToolRegistry.of(LOOKUP))
        .build();
  }

  /** A first step that holds until cancelled, a lookup after it: a run to pause and cancel. */
  @Bean
  Pipeline heldPipeline() {
    Tool hold =
        Tool.builder("hold")
            .description("Holds until cancelled")
            .maxAttempts(1)
            .function(
                args -> {
                  Thread.sleep(60_000);
                  return "held";
                })
            .build();
    return Pipeline.builder("held")
        .planner(
            (request, stage) ->
                new Plan(
                    request.goal(),
                    List.of(
                        Plan.Step.tool("hold", "hold", null),
                        Plan.Step.tool(
                                "after",
                                "lookup",
                                JsonNodeFactory.instance.objectNode().put("key", "after"))
                            .after("hold"))))
        .tools(ToolRegistry.of(hold, LOOKUP))
        .build();
  }

  /** Waits for the signal "approval", then looks up its payload. */
  @Bean
  Pipeline approval() {
    return Pipeline.builder("approval")
        .planner(
            (request, stage) ->
                new Plan(
                    request.goal(),
                    List.of(
                        Plan.Step.await("approve", "approval"),
                        Plan.Step.tool(
                                "after",
                                "lookup",
                                JsonNodeFactory.instance
                                    .objectNode()
                                    .put("key", "${steps.approve.output}"))
                            .after("approve"))))
        .tools(ToolRegistry.of(LOOKUP))
        .build();
  }

  /** Sleeps until cancelled: a task to cancel while it runs. */
  @Bean
  OrchestratorHandler slow() {
    return new OrchestratorHandler(
        "slow",
        ctx -> {
          Thread.sleep(60_000);
          return HandlerResult.of("woke up");
        });
  }

  /** Always fails for good: a task to retry. */
  @Bean
  OrchestratorHandler broken() {
    return new OrchestratorHandler(
        "broken",
        ctx -> {
          throw new LlmException(ErrorKind.INVALID_REQUEST, "broken on purpose");
        });
  }

  @Bean
  OwnerResolver ownerFromHeaderWhenPresent() {
    return request -> {
      String owner = request.getHeader("X-User-Id");
      if ("-".equals(owner)) {
        throw new OwnerResolver.OwnerRequiredException("'-' names nobody");
      }
      return owner == null || owner.isBlank() ? null : owner;
    };
  }
}
