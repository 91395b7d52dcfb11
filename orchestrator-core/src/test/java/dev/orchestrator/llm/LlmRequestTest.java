package dev.orchestrator.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.spi.LlmClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The request, response and message records, and the port's default stream. */
class LlmRequestTest {
  private static final ToolSpec WEATHER =
      new ToolSpec(
          "get_weather",
          "The weather in a city",
          "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");

  @Test
  void theShortFormsHaveNoToolsAndNoTurns() {
    LlmRequest request = new LlmRequest("m", "system", "prompt", 0.5, 10);

    assertEquals(List.of(), request.tools());
    assertEquals(List.of(), request.turns());
    assertEquals(request, new LlmRequest("m", "system", "prompt", 0.5, 10, null, null));
    assertEquals(List.of(), LlmRequest.of("m", "p").tools());
    assertEquals(List.of(), new LlmResponse("t", "m", 1, 1, "STOP", null).toolCalls());
  }

  @Test
  void theEstimateCountsTurnsAndTools() {
    LlmRequest bare = LlmRequest.of("m", "x".repeat(40));
    assertEquals(10, bare.estimatedInputTokens());

    ToolCall call = new ToolCall("call-1", "get_weather", "{\"city\":\"Oslo\"}");
    LlmRequest conversation =
        bare.withTools(List.of(WEATHER))
            .plusTurns(
                LlmMessage.assistant("", List.of(call)),
                LlmMessage.toolResult(call, "y".repeat(40)));

    long toolChars =
        WEATHER.name().length() + WEATHER.description().length() + WEATHER.parameters().length();
    long turnChars =
        call.id().length()
            + call.name().length()
            + call.arguments().length()
            + call.id().length()
            + call.name().length()
            + 40;
    assertEquals((40 + toolChars + turnChars + 3) / 4, conversation.estimatedInputTokens());
  }

  @Test
  void plusTurnsAppendsAndLeavesTheRequestAsItWas() {
    LlmRequest first = LlmRequest.of("m", "p");
    LlmRequest second = first.plusTurns(LlmMessage.user("more"));
    LlmRequest third = second.plusTurns(LlmMessage.user("again"));

    assertEquals(List.of(), first.turns());
    assertEquals(List.of(LlmMessage.user("more"), LlmMessage.user("again")), third.turns());
  }

  @Test
  void badToolsAreRefusedWhenTheRequestIsMade() {
    assertThrows(IllegalArgumentException.class, () -> new ToolSpec("get weather", null, null));
    assertThrows(IllegalArgumentException.class, () -> new ToolSpec("x".repeat(65), null, null));
    assertThrows(IllegalArgumentException.class, () -> new ToolSpec("t", null, "{not json"));
    assertThrows(IllegalArgumentException.class, () -> new ToolSpec("t", null, "[]"));
    assertThrows(
        IllegalArgumentException.class, () -> new ToolSpec("t", null, "{\"type\":\"string\"}"));
    assertThrows(
        IllegalArgumentException.class,
        () -> LlmRequest.of("m", "p").withTools(List.of(WEATHER, WEATHER)));
    assertEquals(ToolSpec.NO_PARAMETERS, new ToolSpec("t", null, null).parameters());
    assertEquals("{}", new ToolCall("id", "t", null).arguments());
  }

  @Test
  void eachRoleCarriesOnlyItsOwnParts() {
    ToolCall call = new ToolCall("c", "t", "{}");
    assertThrows(
        IllegalArgumentException.class,
        () -> new LlmMessage(LlmMessage.Role.USER, "hi", List.of(call), null, null));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LlmMessage(LlmMessage.Role.ASSISTANT, "hi", List.of(), "c", null));
    assertThrows(NullPointerException.class, () -> LlmMessage.toolResult("c", null, "result"));
    assertThrows(NullPointerException.class, () -> LlmMessage.user(null));
    assertEquals("", LlmMessage.assistant(null, List.of(call)).text());
    assertEquals(
        LlmMessage.assistant("", List.of(call)),
        new LlmResponse("", "m", 1, 1, "TOOL_EXECUTION", null, List.of(call)).toMessage());
  }

  @Test
  void theDefaultStreamGivesTheWholeTextOnce() throws Exception {
    LlmClient whole = request -> new LlmResponse("all of it", "m", 1, 3, "STOP", Duration.ZERO);
    LlmClient silent = request -> new LlmResponse("", "m", 1, 0, "STOP", Duration.ZERO);
    List<String> pieces = new ArrayList<>();

    LlmResponse response = whole.stream(LlmRequest.of("m", "p"), pieces::add);
    silent.stream(LlmRequest.of("m", "p"), pieces::add);

    assertEquals(List.of("all of it"), pieces);
    assertEquals("all of it", response.text());
    assertTrue(response.toolCalls().isEmpty());
  }
}
