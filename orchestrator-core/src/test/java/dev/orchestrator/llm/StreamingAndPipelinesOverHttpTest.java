package dev.orchestrator.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.llm.FakeOpenAiServer.Received;
import dev.orchestrator.llm.FakeOpenAiServer.Reply;
import dev.orchestrator.pipeline.LlmPlanner;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.StepResult;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over real HTTP to a local OpenAI-format server, through langchain4j: a streamed task's output
 * reaches its events in order and in pieces, a cancel stops the stream, a pipeline's LLM step calls
 * a tool the model asks for, and the LLM planner repairs an invalid plan.
 */
class StreamingAndPipelinesOverHttpTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private FakeOpenAiServer server;
  private Orchestrator orchestrator;

  @AfterEach
  void stop() {
    if (orchestrator != null) {
      orchestrator.close();
    }
    server.close();
  }

  private Orchestrator.Builder on(Function<Received, Reply> answer) {
    server = FakeOpenAiServer.start(answer);
    OpenAiChatModel chat =
        OpenAiChatModel.builder()
            .baseUrl(server.baseUrl())
            .apiKey("test")
            .modelName("gpt-test")
            .maxRetries(0)
            .build();
    OpenAiStreamingChatModel streaming =
        OpenAiStreamingChatModel.builder()
            .baseUrl(server.baseUrl())
            .apiKey("test")
            .modelName("gpt-test")
            .timeout(Duration.ofSeconds(10))
            .build();
    return Orchestrator.builder().llm(new Langchain4jLlmClient(chat, streaming)).workers(2);
  }

  @Test
  void aStreamedTasksOutputReachesItsEventsInOrderAndInPieces() throws Exception {
    List<String> written = List.of("Paris ", "is ", "the ", "capital ", "of ", "France.");
    orchestrator =
        on(r -> Reply.stream(written, "gpt-test", 9, 6).eventsApart(Duration.ofMillis(150)))
            .build()
            .start();
    List<String> outputs = new CopyOnWriteArrayList<>();
    orchestrator.addListener(
        e -> {
          if (!e.isTransition() && e.reason().startsWith("output: ")) {
            outputs.add(e.reason().substring("output: ".length()));
          }
        });
    Task t = orchestrator.submit(TaskSpec.prompt("Capital of France?").stream(true).build());
    Task done = orchestrator.await(t.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals(String.join("", written), done.output());
    Waits.until(
        "every piece was heard", WAIT, () -> String.join("", outputs).equals(done.output()));
    assertTrue(outputs.size() > 1, "in more than one piece: " + outputs);
    List<TaskEvent> notes =
        orchestrator.events(t.id()).stream()
            .filter(e -> e.reason().startsWith("output: "))
            .toList();
    assertEquals(outputs.size(), notes.size(), "the pieces are in the task's stored events too");
    assertEquals(15, done.usage().outputTokens() + done.usage().inputTokens());
    assertTrue(server.received().get(0).body().path("stream").asBoolean(), "the request streamed");
  }

  @Test
  void aCancelStopsTheStream() throws Exception {
    List<String> written = java.util.Collections.nCopies(40, "word ");
    orchestrator =
        on(r -> Reply.stream(written, "gpt-test", 9, 40).eventsApart(Duration.ofMillis(200)))
            .build()
            .start();
    Task t = orchestrator.submit(TaskSpec.prompt("Write a lot").stream(true).build());
    Waits.until(
        "the first piece is heard",
        WAIT,
        () ->
            orchestrator.events(t.id()).stream().anyMatch(e -> e.reason().startsWith("output: ")));
    orchestrator.cancel(t.id());
    assertTrue(server.awaitClientLeftAStream(Duration.ofSeconds(10)), "the stream was closed");
    assertEquals(TaskStatus.CANCELLED, orchestrator.get(t.id()).orElseThrow().status());
  }

  @Test
  void anLlmTriageSendsASimpleRequestToOneStreamedCallAndAComplexOneToAPipeline() throws Exception {
    Tool echo = Tool.builder("echo").function(a -> "echoed").build();
    Pipelines pipelines =
        Pipelines.of(
                Pipeline.builder("report")
                    .planner(
                        (r, s) -> new Plan(r.goal(), List.of(Plan.Step.tool("a", "echo", null))))
                    .tools(ToolRegistry.of(echo))
                    .build())
            .withTriage(
                dev.orchestrator.pipeline.Triage.llm(Map.of("report", "multi-step reports")));
    orchestrator =
        pipelines
            .install(
                on(
                    r -> {
                      String prompt = r.prompt();
                      if (prompt.startsWith("Decide whether")) {
                        String route = prompt.contains("report on") ? "report" : "single";
                        return Reply.ok(
                            "{\"route\": \"" + route + "\", \"reason\": \"judged\"}",
                            "gpt-test",
                            30,
                            8);
                      }
                      return Reply.stream(List.of("Four", ", ", "of course."), "gpt-test", 5, 3)
                          .eventsApart(Duration.ofMillis(150));
                    }))
            .build()
            .start();
    List<String> pieces = new CopyOnWriteArrayList<>();
    orchestrator.addListener(
        e -> {
          if (e.reason().startsWith("output: ")) {
            pieces.add(e.reason().substring("output: ".length()));
          }
        });
    dev.orchestrator.pipeline.Answer simple = pipelines.ask(orchestrator, "2 + 2?", Map.of(), WAIT);
    assertTrue(simple.isSingle(), simple.reason());
    Task call = orchestrator.await(simple.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals("Four, of course.", call.output());
    Waits.until("the streamed pieces", WAIT, () -> String.join("", pieces).equals(call.output()));
    assertTrue(pieces.size() > 1, pieces.toString());
    dev.orchestrator.pipeline.Answer complex =
        pipelines.ask(orchestrator, "A report on sales", Map.of(), WAIT);
    assertEquals("report", complex.pipeline());
    assertEquals("judged", complex.reason());
    assertEquals(1, complex.steps().size());
    assertEquals(
        PipelineRun.Status.COMPLETED, pipelines.await(orchestrator, complex.id(), WAIT).status());
  }

  private static boolean hasToolResult(Received r) {
    for (JsonNode m : r.body().path("messages")) {
      if (m.path("role").asText().equals("tool")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aPipelinesLlmStepCallsTheToolTheModelAsksForAndAnswersWithItsResult() throws Exception {
    List<String> toolArguments = new CopyOnWriteArrayList<>();
    Tool tickets =
        Tool.builder("ticket_search")
            .description("Finds a project's open tickets")
            .parameters(
                "{\"type\":\"object\",\"properties\":{\"project\":{\"type\":\"string\"}},"
                    + "\"required\":[\"project\"]}")
            .function(
                a -> {
                  toolArguments.add(a.toString());
                  return "[\"X-1 login fails\",\"X-2 slow export\"]";
                })
            .build();
    Pipelines pipelines =
        Pipelines.of(
            Pipeline.builder("ask")
                .planner(
                    (r, s) ->
                        new Plan(
                            r.goal(),
                            List.of(Plan.Step.llm("answer", "${goal}").withTools("ticket_search"))))
                .tools(ToolRegistry.of(tickets))
                .build());
    orchestrator =
        pipelines
            .install(
                on(
                    r ->
                        hasToolResult(r)
                            ? Reply.ok("Two tickets are open: X-1 and X-2.", "gpt-test", 40, 10)
                            : Reply.toolCalls(
                                "gpt-test",
                                List.of(
                                    List.of("call-1", "ticket_search", "{\"project\":\"X\"}")))))
            .build()
            .start();
    PipelineRun run =
        pipelines.await(
            orchestrator,
            pipelines.start(orchestrator, "ask", "Which tickets of X are open?", Map.of()).id(),
            WAIT);
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    assertEquals("Two tickets are open: X-1 and X-2.", run.result());
    assertEquals(List.of("{\"project\":\"X\"}"), toolArguments);
    JsonNode offered = server.received().get(0).body().path("tools");
    assertEquals("ticket_search", offered.get(0).path("function").path("name").asText());
    JsonNode second = server.received().get(1).body().path("messages");
    JsonNode toolMessage = second.get(second.size() - 1);
    assertEquals("call-1", toolMessage.path("tool_call_id").asText());
    StepResult step = run.steps().get(0).result();
    assertEquals(List.of("llm", "tool", "llm"), step.trace().stream().map(t -> t.kind()).toList());
    assertEquals(50 + 42, step.inputTokens() + step.outputTokens());
  }

  @Test
  void theLlmPlannerSendsAnInvalidPlanBackWithItsProblemsAndRunsTheRepairedOne() throws Exception {
    String invalid = "{\"steps\":[{\"id\":\"a\",\"kind\":\"TOOL\",\"tool\":\"nope\"}]}";
    String valid =
        "Here is the plan: {\"steps\":[{\"id\":\"a\",\"kind\":\"TOOL\",\"tool\":\"echo\","
            + "\"arguments\":{\"text\":\"${goal}\"}}]}";
    Tool echo =
        Tool.builder("echo")
            .parameters(
                "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
                    + "\"required\":[\"text\"]}")
            .function(a -> a.path("text").asText())
            .build();
    Pipelines pipelines =
        Pipelines.of(
            Pipeline.builder("planned")
                .planner(new LlmPlanner())
                .tools(ToolRegistry.of(echo))
                .build());
    orchestrator =
        pipelines
            .install(
                on(
                    r ->
                        Reply.ok(
                            r.body().path("messages").size() > 1 ? valid : invalid,
                            "gpt-test",
                            50,
                            20)))
            .build()
            .start();
    PipelineRun run =
        pipelines.await(
            orchestrator, pipelines.start(orchestrator, "planned", "say hi", Map.of()).id(), WAIT);
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    assertEquals("say hi", run.result());
    JsonNode repair = server.received().get(1).body().path("messages");
    assertTrue(
        repair.get(repair.size() - 1).path("content").asText().contains("unknown tool 'nope'"),
        repair.toString());
    assertTrue(
        run.trace().stream().anyMatch(t -> t.name().equals("repair 1")), "the repair is traced");
    assertTrue(
        server.received().get(0).body().toString().contains("echo"), "the tools were described");
  }
}
