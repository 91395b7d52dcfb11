package dev.orchestrator.examples.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.llm.LlmMessage;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.llm.LlmResponse;
import dev.orchestrator.llm.ToolCall;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.StepResult;
import dev.orchestrator.spi.LlmClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The model path without a model: a scripted {@link LlmClient} stands in for it, so the pipeline of
 * {@code OPENAI_API_KEY} runs offline. The model's plan (three data steps, then an LLM step offered
 * {@value ProjectTools#TICKETS}) is checked and run as planned, the step's own tool call runs, and
 * the verifier holds the model's update to the risks the ticket searches found.
 */
class ModelPathTest {
  private static final String PLAN =
      """
      Here is the plan:
      {"steps": [
        {"id": "tickets", "kind": "TOOL", "tool": "ticket_search", "arguments": {"project": "atlas"}},
        {"id": "metrics", "kind": "TOOL", "tool": "metrics_query",
         "arguments": {"project": "atlas", "metric": "all", "weeks": 6}},
        {"id": "documents", "kind": "TOOL", "tool": "document_lookup",
         "arguments": {"project": "atlas", "topic": "charter status"}},
        {"id": "write", "kind": "LLM", "dependsOn": ["tickets", "metrics", "documents"],
         "tools": ["ticket_search"],
         "prompt": "Write the update for ${goal}. Tickets: ${steps.tickets.output} Metrics: ${steps.metrics.output} Documents: ${steps.documents.output}"}
      ]}""";

  /**
   * Plans as above; in the write step, asks for the blocked tickets once, then answers the update
   * naming these risks.
   */
  private static final class ScriptedModel implements LlmClient {
    private final String update;
    final List<LlmRequest> requests = new CopyOnWriteArrayList<>();

    ScriptedModel(String update) {
      this.update = update;
    }

    @Override
    public LlmResponse call(LlmRequest request) {
      requests.add(request);
      if (request.prompt().startsWith("Plan the steps")) {
        return answer(PLAN, List.of());
      }
      boolean answered = request.turns().stream().anyMatch(t -> t.role() == LlmMessage.Role.TOOL);
      if (!request.tools().isEmpty() && !answered) {
        return answer(
            "",
            List.of(
                new ToolCall(
                    "call-1",
                    ProjectTools.TICKETS,
                    "{\"project\":\"atlas\",\"status\":\"blocked\"}")));
      }
      return answer(update, List.of());
    }

    private static LlmResponse answer(String text, List<ToolCall> calls) {
      return new LlmResponse(
          text,
          "scripted-1",
          100,
          50,
          calls.isEmpty() ? LlmResponse.STOP : LlmResponse.TOOL_EXECUTION,
          Duration.ofMillis(1),
          calls);
    }
  }

  private static PipelineRun run(ScriptedModel model, ByteArrayOutputStream printed)
      throws Exception {
    PipelineApp.Models models =
        new PipelineApp.Models(
            model, ExecutiveUpdate.llmPlanner(), "a scripted model", Duration.ofSeconds(60));
    try (PipelineApp app = PipelineApp.with(models)) {
      return app.run(
          PipelineExample.DEFAULT_GOAL,
          Map.of(),
          new PrintStream(printed, true, StandardCharsets.UTF_8));
    }
  }

  @Test
  void theModelsPlanRunsWithItsOwnToolCallAndAnUpdateNamingTheRisksPasses() throws Exception {
    ScriptedModel model =
        new ScriptedModel(
            "# Executive update: Atlas\n## Risks\n- ATL-103 blocked\n- ATL-105\n- ATL-107\n"
                + "- ATL-110\n");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PipelineRun run = run(model, printed);
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    assertEquals(0, run.round());
    assertEquals(
        List.of("tickets", "metrics", "documents", "write"),
        run.plan().steps().stream().map(s -> s.id()).toList());
    assertTrue(
        model.requests.get(0).prompt().contains(ExecutiveUpdate.LLM_PLANNER_INSTRUCTIONS),
        "the planner is told the house rules");
    StepResult write = run.steps().get(3).result();
    assertTrue(
        write.trace().stream()
            .anyMatch(
                t ->
                    t.kind().equals("tool")
                        && t.name().equals(ProjectTools.TICKETS)
                        && t.output().contains("ATL-103")),
        "the step's own call of ticket_search ran: " + write.trace());
    assertEquals(200, write.inputTokens(), "two calls of 100 prompt tokens");
    assertTrue(run.result().contains("ATL-110"));
    assertTrue(
        printed.toString(StandardCharsets.UTF_8).contains("llm scripted-1"),
        printed.toString(StandardCharsets.UTF_8));
  }

  @Test
  void anUpdateThatLeavesOutARiskIsReplannedOnceAndThenFailsTheRun() throws Exception {
    ScriptedModel model = new ScriptedModel("## Risks\n- ATL-103\n- ATL-105\n- ATL-107\n");
    PipelineRun run = run(model, new ByteArrayOutputStream());
    assertEquals(PipelineRun.Status.FAILED, run.status());
    assertEquals(1, run.round(), "the one re-plan the pipeline allows");
    assertTrue(run.error().contains("the update does not name the risk ATL-110"), run.error());
    assertTrue(
        model.requests.stream()
            .anyMatch(
                r ->
                    r.prompt().startsWith("Plan the steps")
                        && r.prompt().contains("does not name the risk ATL-110")),
        "the re-plan is told the findings");
  }
}
