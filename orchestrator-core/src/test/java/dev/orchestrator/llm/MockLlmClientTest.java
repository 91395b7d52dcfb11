package dev.orchestrator.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mock's tool-call script and its streaming. */
class MockLlmClientTest {
  private static final ToolSpec WEATHER =
      new ToolSpec(
          "get_weather",
          "The weather in a city",
          "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");
  private static final ToolSpec CLOCK = new ToolSpec("get_time", "The time", null);

  @Test
  void aScriptedToolIsCalledOnceThenTheAnswerIsText() throws Exception {
    MockLlmClient llm =
        MockLlmClient.builder().callTool("get_weather", "{\"city\":\"Oslo\"}").build();
    LlmRequest first = LlmRequest.of(null, "Weather in Oslo?").withTools(List.of(WEATHER));

    LlmResponse calling = llm.call(first);

    assertEquals(
        List.of(new ToolCall("call-1", "get_weather", "{\"city\":\"Oslo\"}")), calling.toolCalls());
    assertEquals(LlmResponse.TOOL_EXECUTION, calling.finishReason());
    assertEquals("", calling.text());
    assertEquals(MockLlmClient.DEFAULT_MODEL, calling.model());
    assertTrue(calling.outputTokens() > 0);

    LlmResponse answer =
        llm.call(
            first.plusTurns(
                calling.toMessage(),
                LlmMessage.toolResult(calling.toolCalls().get(0), "4 degrees")));

    assertFalse(answer.hasToolCalls());
    assertEquals(LlmResponse.STOP, answer.finishReason());
    assertEquals(MockLlmClient.outputFor("4 degrees"), answer.text(), "answers the tool result");
    assertEquals(2, llm.calls());
  }

  @Test
  void aToolRuleNeedsItsToolOfferedAndItsMarkerInThePrompt() throws Exception {
    MockLlmClient llm =
        MockLlmClient.builder().callTool("weather", "get_weather", "{\"city\":\"Oslo\"}").build();

    LlmResponse noTools = llm.call(LlmRequest.of(null, "weather in Oslo?"));
    LlmResponse otherTool =
        llm.call(LlmRequest.of(null, "weather in Oslo?").withTools(List.of(CLOCK)));
    LlmResponse unmarked =
        llm.call(LlmRequest.of(null, "what time is it?").withTools(List.of(WEATHER)));
    LlmResponse marked =
        llm.call(LlmRequest.of(null, "weather in Oslo?").withTools(List.of(WEATHER, CLOCK)));

    assertEquals(MockLlmClient.outputFor("weather in Oslo?"), noTools.text());
    assertFalse(otherTool.hasToolCalls());
    assertEquals(MockLlmClient.outputFor("what time is it?"), unmarked.text());
    assertEquals("get_weather", marked.toolCalls().get(0).name());
  }

  @Test
  void toolRulesApplyInTheOrderTheyWereAdded() throws Exception {
    MockLlmClient llm =
        MockLlmClient.builder()
            .callTool("get_time", "{}")
            .callTool("get_weather", "{\"city\":\"Oslo\"}")
            .build();
    LlmRequest request = LlmRequest.of(null, "Plan my day").withTools(List.of(WEATHER, CLOCK));
    List<String> called = new ArrayList<>();

    LlmResponse response = llm.call(request);
    while (response.hasToolCalls()) {
      ToolCall call = response.toolCalls().get(0);
      called.add(call.id() + " " + call.name());
      request =
          request.plusTurns(
              response.toMessage(), LlmMessage.toolResult(call, call.name() + " done"));
      response = llm.call(request);
    }

    assertEquals(List.of("call-1 get_time", "call-2 get_weather"), called);
    assertEquals(MockLlmClient.outputFor("get_weather done"), response.text());
    LlmResponse again = llm.call(request);
    assertEquals(response.toMessage(), again.toMessage(), "deterministic");
    assertEquals(response.finishReason(), again.finishReason());
  }

  @Test
  void streamGivesTheOutputWordByWordWithTheLatencySpread() throws Exception {
    Duration latency = Duration.ofMillis(60);
    MockLlmClient llm = MockLlmClient.builder().latency(latency).build();
    String prompt = "Summarise the news of the day";
    List<String> pieces = new ArrayList<>();
    List<Long> arrivals = new ArrayList<>();
    long start = System.nanoTime();

    LlmResponse response =
        llm.stream(
            LlmRequest.of(null, prompt),
            piece -> {
              pieces.add(piece);
              arrivals.add(System.nanoTime() - start);
            });

    String output = MockLlmClient.outputFor(prompt);
    assertEquals(output, response.text());
    assertEquals(output, String.join("", pieces));
    assertEquals(output.split(" ").length, pieces.size(), pieces.toString());
    assertTrue(pieces.stream().allMatch(p -> p.strip().indexOf(' ') < 0), "one word a piece");
    assertTrue(arrivals.get(0) < arrivals.get(arrivals.size() - 1), "spread, not all at once");
    assertTrue(response.latency().compareTo(latency) >= 0, response.latency().toString());
    assertEquals(LlmResponse.STOP, response.finishReason());
    assertEquals(MockLlmClient.tokensOf(output), response.outputTokens());
    assertEquals(response.text(), llm.call(LlmRequest.of(null, prompt)).text(), "as call answers");
  }

  @Test
  void aStreamedToolCallHasNoPieces() throws Exception {
    MockLlmClient llm = MockLlmClient.builder().callTool("get_time", "{}").build();
    List<String> pieces = new ArrayList<>();

    LlmResponse response =
        llm.stream(LlmRequest.of(null, "time?").withTools(List.of(CLOCK)), pieces::add);

    assertEquals(List.of(), pieces);
    assertEquals("get_time", response.toolCalls().get(0).name());
  }

  @Test
  void aFailingStreamFailsBeforeAnyPiece() throws Exception {
    MockLlmClient llm =
        MockLlmClient.builder().failFirst("flaky", 1, ErrorKind.SERVER_ERROR).build();
    List<String> pieces = new ArrayList<>();

    LlmException e =
        assertThrows(
            LlmException.class, () -> llm.stream(LlmRequest.of(null, "flaky prompt"), pieces::add));

    assertEquals(ErrorKind.SERVER_ERROR, e.kind());
    assertEquals(List.of(), pieces);
    llm.stream(LlmRequest.of(null, "flaky prompt"), pieces::add);
    assertEquals(MockLlmClient.outputFor("flaky prompt"), String.join("", pieces));
  }

  @Test
  void anInterruptStopsAStreamAtOnce() throws Exception {
    MockLlmClient llm = MockLlmClient.builder().latency(Duration.ofSeconds(30)).build();
    List<String> pieces = new ArrayList<>();
    Caller caller =
        Caller.start(() -> llm.stream(LlmRequest.of(null, "a long answer"), pieces::add));
    Waits.until(
        "the stream sleeps",
        Duration.ofSeconds(10),
        () -> caller.thread.getState() == Thread.State.TIMED_WAITING);

    caller.thread.interrupt();

    assertInstanceOf(InterruptedException.class, caller.thrown(Duration.ofSeconds(5)));
    assertEquals(List.of(), pieces);
  }

  @Test
  void theTextAnswersTheLastTurn() {
    LlmRequest request = LlmRequest.of(null, "first");
    assertEquals(MockLlmClient.outputFor("first"), MockLlmClient.outputFor(request));
    assertEquals(
        MockLlmClient.outputFor("and then?"),
        MockLlmClient.outputFor(
            request.plusTurns(
                LlmMessage.assistant("ok", List.of()), LlmMessage.user("and then?"))));
  }

  @Test
  void piecesKeepEveryCharacter() {
    assertEquals(List.of("  ", "a ", "b\n", "c"), MockLlmClient.pieces("  a b\nc"));
    assertEquals(List.of(), MockLlmClient.pieces(""));
  }
}
