package dev.orchestrator.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.UnresolvedModelServerException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.llm.FakeOpenAiServer.Reply;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter over real HTTP: langchain4j's OpenAiChatModel against a local OpenAI-format server.
 */
class Langchain4jLlmClientTest {
  private static final String RATE_LIMIT_MESSAGE =
      "Rate limit reached for gpt-test in organization org-test on requests per min (RPM): "
          + "Limit 3, Used 3, Requested 1. Please try again in 1.5s. Visit "
          + "https://platform.openai.com/account/rate-limits to learn more.";

  private FakeOpenAiServer server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private Langchain4jLlmClient client(Duration timeout) {
    ChatModel model =
        OpenAiChatModel.builder()
            .baseUrl(server.baseUrl())
            .apiKey("test")
            .modelName("gpt-test")
            .maxRetries(0)
            .timeout(timeout)
            .build();
    return new Langchain4jLlmClient(model);
  }

  private Langchain4jLlmClient client() {
    return client(Duration.ofSeconds(10));
  }

  private StreamingChatModel streamingModel() {
    return OpenAiStreamingChatModel.builder()
        .baseUrl(server.baseUrl())
        .apiKey("test")
        .modelName("gpt-test")
        .timeout(Duration.ofSeconds(10))
        .build();
  }

  private Langchain4jLlmClient streamingClient() {
    return new Langchain4jLlmClient(
        OpenAiChatModel.builder()
            .baseUrl(server.baseUrl())
            .apiKey("test")
            .modelName("gpt-test")
            .maxRetries(0)
            .build(),
        streamingModel());
  }

  /** Starts the server answering every request with {@code reply}; the latch opens at the first. */
  private CountDownLatch startAnswering(Reply reply) {
    CountDownLatch arrived = new CountDownLatch(1);
    server =
        FakeOpenAiServer.start(
            r -> {
              arrived.countDown();
              return reply;
            });
    return arrived;
  }

  private LlmException failure(Reply reply) {
    server = FakeOpenAiServer.start(r -> reply);
    LlmException e =
        assertThrows(LlmException.class, () -> client().call(LlmRequest.of("gpt-test", "hi")));
    assertEquals(1, server.received().size(), "the adapter and the model must not retry");
    return e;
  }

  @Test
  void mapsTheRequestAndTheAnswer() throws Exception {
    server = FakeOpenAiServer.start(r -> Reply.ok("Paris.", "gpt-test-2024-07-18", 12, 3));

    LlmResponse response =
        client()
            .call(
                new LlmRequest("gpt-requested", "Answer briefly.", "Capital of France?", 0.25, 50));

    assertEquals("Paris.", response.text());
    assertEquals("gpt-test-2024-07-18", response.model());
    assertEquals(12, response.inputTokens());
    assertEquals(3, response.outputTokens());
    assertEquals("STOP", response.finishReason());
    assertFalse(response.latency().isZero());

    FakeOpenAiServer.Received sent = server.received().get(0);
    assertEquals("gpt-requested", sent.model());
    assertEquals(0.25, sent.body().path("temperature").asDouble());
    assertEquals(50, sent.body().path("max_tokens").asInt());
    assertEquals("system", sent.body().path("messages").get(0).path("role").asText());
    assertEquals("Answer briefly.", sent.body().path("messages").get(0).path("content").asText());
    assertEquals("user", sent.body().path("messages").get(1).path("role").asText());
    assertEquals("Capital of France?", sent.prompt());
    assertEquals("Bearer test", sent.headers().get("Authorization").get(0));
  }

  @Test
  void usesTheModelsDefaultsWhenTheRequestHasNone() throws Exception {
    server = FakeOpenAiServer.start(r -> Reply.ok("ok", r.model(), 1, 1));

    LlmResponse response = client().call(new LlmRequest(null, null, "hello", null, null));

    assertEquals("gpt-test", server.received().get(0).model());
    assertEquals(1, server.received().get(0).body().path("messages").size());
    assertEquals("gpt-test", response.model());
  }

  @Test
  void missingUsageCountsZeroTokens() throws Exception {
    server = FakeOpenAiServer.start(r -> Reply.ok("ok", "gpt-test", null, null));

    LlmResponse response = client().call(LlmRequest.of("gpt-test", "hello"));

    assertEquals(0, response.inputTokens());
    assertEquals(0, response.outputTokens());
  }

  @Test
  void lengthFinishReasonIsReported() throws Exception {
    server = FakeOpenAiServer.start(r -> Reply.completion("cut", "gpt-test", "length", 4, 50));

    assertEquals("LENGTH", client().call(LlmRequest.of("gpt-test", "x")).finishReason());
  }

  @Test
  void rateLimitIsRetryableWithTheRetryAfterTheProviderWrote() {
    LlmException e =
        failure(
            Reply.error(429, "requests", "rate_limit_exceeded", RATE_LIMIT_MESSAGE)
                .withHeader("Retry-After", "2"));

    assertEquals(ErrorKind.RATE_LIMITED, e.kind());
    assertTrue(e.isRetryable());
    // langchain4j keeps the body, not the headers: the hint comes from OpenAI's message
    assertEquals(Duration.ofMillis(1500), e.retryAfter());
    assertTrue(e.getMessage().contains("HTTP 429"), e.getMessage());
  }

  @Test
  void rateLimitWithoutAHintInTheBodyHasNoRetryAfter() {
    LlmException e =
        failure(
            Reply.error(429, "requests", "rate_limit_exceeded", "Too many requests")
                .withHeader("Retry-After", "7"));

    assertEquals(ErrorKind.RATE_LIMITED, e.kind());
    assertNull(e.retryAfter());
  }

  @Test
  void serverErrorIsRetryable() {
    LlmException e = failure(Reply.error(500, "server_error", null, "The server had an error"));

    assertEquals(ErrorKind.SERVER_ERROR, e.kind());
    assertTrue(e.isRetryable());
    assertNull(e.retryAfter());
  }

  @Test
  void overloadedServerIsAServerError() {
    assertEquals(
        ErrorKind.SERVER_ERROR,
        failure(Reply.error(503, "server_error", null, "overloaded")).kind());
  }

  @Test
  void badCredentialsAreFatal() {
    LlmException e =
        failure(Reply.error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key"));

    assertEquals(ErrorKind.AUTHENTICATION, e.kind());
    assertFalse(e.isRetryable());
  }

  @Test
  void unknownModelIsAnInvalidRequest() {
    LlmException e =
        failure(
            Reply.error(
                404, "invalid_request_error", "model_not_found", "The model does not exist"));

    assertEquals(ErrorKind.INVALID_REQUEST, e.kind());
    assertInstanceOf(ModelNotFoundException.class, e.getCause());
  }

  @Test
  void malformedRequestIsAnInvalidRequest() {
    LlmException e =
        failure(Reply.error(400, "invalid_request_error", "context_length_exceeded", "Too long"));

    assertEquals(ErrorKind.INVALID_REQUEST, e.kind());
    assertFalse(e.isRetryable());
  }

  @Test
  void promptRejectedByTheContentFilterIsARefusal() {
    // Azure OpenAI's answer to a prompt its filter blocks; langchain4j maps any 400 to
    // InvalidRequestException, the adapter reads the code
    LlmException e =
        failure(
            Reply.error(
                400,
                "invalid_request_error",
                "content_filter",
                "The response was filtered due to the prompt triggering the content policy."));

    assertEquals(ErrorKind.CONTENT_REFUSED, e.kind());
    assertInstanceOf(InvalidRequestException.class, e.getCause());
    assertFalse(e.isRetryable());
  }

  @Test
  void answerStoppedByTheContentFilterIsARefusal() {
    LlmException e = failure(Reply.completion(null, "gpt-test", "content_filter", 9, 0));

    assertEquals(ErrorKind.CONTENT_REFUSED, e.kind());
    assertFalse(e.isRetryable());
  }

  @Test
  void slowServerIsATimeout() {
    server =
        FakeOpenAiServer.start(
            r -> Reply.ok("late", "gpt-test", 1, 1).after(Duration.ofSeconds(5)));
    long start = System.nanoTime();

    LlmException e =
        assertThrows(
            LlmException.class,
            () -> client(Duration.ofMillis(300)).call(LlmRequest.of("gpt-test", "hi")));

    assertEquals(ErrorKind.TIMEOUT, e.kind());
    assertTrue(e.isRetryable());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4), "gave up at the timeout");
  }

  @Test
  void refusedConnectionIsTransient() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    ChatModel model =
        OpenAiChatModel.builder()
            .baseUrl("http://127.0.0.1:" + port + "/v1")
            .apiKey("test")
            .modelName("gpt-test")
            .maxRetries(0)
            .timeout(Duration.ofSeconds(2))
            .build();

    LlmException e =
        assertThrows(
            LlmException.class,
            () -> new Langchain4jLlmClient(model).call(LlmRequest.of("gpt-test", "hi")));

    assertEquals(ErrorKind.TRANSIENT, e.kind());
  }

  @Test
  void interruptDuringTheCallIsAnInterruptedException() throws Exception {
    CountDownLatch arrived =
        startAnswering(Reply.ok("late", "gpt-test", 1, 1).after(Duration.ofSeconds(10)));
    Langchain4jLlmClient client = client(Duration.ofSeconds(30));
    Caller caller = Caller.start(() -> client.call(LlmRequest.of("gpt-test", "hi")));
    assertTrue(arrived.await(10, TimeUnit.SECONDS));

    caller.thread.interrupt();

    assertInstanceOf(InterruptedException.class, caller.thrown(Duration.ofSeconds(5)));
  }

  private static final String WEATHER_SCHEMA =
      """
      {"type": "object",
       "properties": {
         "city": {"type": "string", "description": "the city's name"},
         "days": {"type": "integer"},
         "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
         "hours": {"type": "array", "items": {"type": "number"}},
         "when": {"type": "string", "format": "date-time"},
         "where": {"type": "object",
                   "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                   "required": ["lat", "lon"]},
         "detail": {"anyOf": [{"type": "string"}, {"type": "null"}]}
       },
       "required": ["city"]}
      """;

  private static final ToolSpec WEATHER =
      new ToolSpec("get_weather", "The weather in a city", WEATHER_SCHEMA);

  private static final ToolSpec CLOCK = new ToolSpec("get_time", null, null);

  @Test
  void toolSpecsAreSentAsOpenAiToolsWithTheirSchemaUnchanged() throws Exception {
    server = FakeOpenAiServer.start(r -> Reply.ok("ok", "gpt-test", 1, 1));

    client().call(LlmRequest.of("gpt-test", "Weather?").withTools(List.of(WEATHER, CLOCK)));

    JsonNode tools = server.received().get(0).body().path("tools");
    assertEquals(2, tools.size(), tools.toString());
    JsonNode weather = tools.get(0);
    assertEquals("function", weather.path("type").asText());
    assertEquals("get_weather", weather.path("function").path("name").asText());
    assertEquals("The weather in a city", weather.path("function").path("description").asText());
    // typed where langchain4j has a type (enum, array, nested object), raw where it has none
    // (format, anyOf): OpenAI gets the schema as written
    assertEquals(
        FakeOpenAiServer.JSON.readTree(WEATHER_SCHEMA),
        weather.path("function").path("parameters"));
    JsonNode clock = tools.get(1).path("function");
    assertEquals("get_time", clock.path("name").asText());
    assertEquals("object", clock.path("parameters").path("type").asText());
    assertEquals(0, clock.path("parameters").path("properties").size());
  }

  @Test
  void toolCallsInTheAnswerBecomeToolCalls() throws Exception {
    server =
        FakeOpenAiServer.start(
            r ->
                Reply.toolCalls(
                    "gpt-test",
                    List.of(
                        List.of("call_a", "get_weather", "{\"city\":\"Oslo\"}"),
                        List.of("call_b", "get_time", "{}"))));

    LlmResponse response =
        client().call(LlmRequest.of("gpt-test", "Weather?").withTools(List.of(WEATHER, CLOCK)));

    assertEquals(
        List.of(
            new ToolCall("call_a", "get_weather", "{\"city\":\"Oslo\"}"),
            new ToolCall("call_b", "get_time", "{}")),
        response.toolCalls());
    assertTrue(response.hasToolCalls());
    assertEquals(LlmResponse.TOOL_EXECUTION, response.finishReason());
    assertEquals("", response.text());
    assertEquals(30, response.inputTokens());
    assertEquals(12, response.outputTokens());
  }

  @Test
  void theToolResultGoesBackWithItsCallIdInTheNextTurn() throws Exception {
    server =
        FakeOpenAiServer.start(
            r ->
                r.body().path("messages").size() == 1
                    ? Reply.toolCalls(
                        "gpt-test",
                        List.of(List.of("call_a", "get_weather", "{\"city\":\"Oslo\"}")))
                    : Reply.ok("4 degrees in Oslo.", "gpt-test", 40, 6));
    Langchain4jLlmClient client = client();
    LlmRequest first = LlmRequest.of("gpt-test", "Weather in Oslo?").withTools(List.of(WEATHER));
    LlmResponse calling = client.call(first);

    LlmResponse answer =
        client.call(
            first.plusTurns(
                calling.toMessage(),
                LlmMessage.toolResult(calling.toolCalls().get(0), "{\"celsius\":4}")));

    assertEquals("4 degrees in Oslo.", answer.text());
    assertEquals(LlmResponse.STOP, answer.finishReason());
    assertFalse(answer.hasToolCalls());
    JsonNode messages = server.received().get(1).body().path("messages");
    assertEquals(3, messages.size(), messages.toString());
    assertEquals("user", messages.get(0).path("role").asText());
    assertEquals("Weather in Oslo?", messages.get(0).path("content").asText());
    JsonNode assistant = messages.get(1);
    assertEquals("assistant", assistant.path("role").asText());
    JsonNode sentCall = assistant.path("tool_calls").get(0);
    assertEquals("call_a", sentCall.path("id").asText());
    assertEquals("function", sentCall.path("type").asText());
    assertEquals("get_weather", sentCall.path("function").path("name").asText());
    assertEquals("{\"city\":\"Oslo\"}", sentCall.path("function").path("arguments").asText());
    JsonNode tool = messages.get(2);
    assertEquals("tool", tool.path("role").asText());
    assertEquals("call_a", tool.path("tool_call_id").asText());
    assertEquals("{\"celsius\":4}", tool.path("content").asText());
    assertEquals(1, server.received().get(1).body().path("tools").size(), "tools offered again");
  }

  @Test
  void streamGivesThePiecesInOrderAsTheModelWritesThem() throws Exception {
    List<String> written = List.of("The ", "capital ", "is ", "Paris.");
    CountDownLatch firstArrived = new CountDownLatch(1);
    server =
        FakeOpenAiServer.start(
            r -> Reply.stream(written, "gpt-test-2024", 11, 4).heldAfterFirst(firstArrived));
    List<String> pieces = new CopyOnWriteArrayList<>();
    List<Integer> sentWhenArrived = new ArrayList<>();
    Thread caller = Thread.currentThread();
    List<Thread> deliveredOn = new CopyOnWriteArrayList<>();

    LlmResponse response =
        streamingClient().stream(
            LlmRequest.of("gpt-test", "Capital of France?"),
            piece -> {
              pieces.add(piece);
              deliveredOn.add(Thread.currentThread());
              sentWhenArrived.add(server.eventsSent());
              firstArrived.countDown();
            });

    assertEquals(written, pieces);
    // the server held the rest back until the first piece arrived: it was not buffered
    assertEquals(1, sentWhenArrived.get(0));
    assertTrue(deliveredOn.stream().allMatch(t -> t == caller), "on the calling thread");
    assertEquals(String.join("", written), response.text());
    assertEquals("gpt-test-2024", response.model());
    assertEquals(11, response.inputTokens());
    assertEquals(4, response.outputTokens());
    assertEquals("STOP", response.finishReason());
    JsonNode sent = server.received().get(0).body();
    assertTrue(sent.path("stream").asBoolean(), sent.toString());
    assertTrue(sent.path("stream_options").path("include_usage").asBoolean(), sent.toString());
  }

  @Test
  void streamedToolCallsArriveWholeInTheResponse() throws Exception {
    server =
        FakeOpenAiServer.start(
            r ->
                Reply.streamToolCall(
                    "gpt-test", "call_s", "get_weather", List.of("{\"ci", "ty\":\"Os", "lo\"}")));
    List<String> pieces = new CopyOnWriteArrayList<>();

    LlmResponse response =
        streamingClient().stream(
            LlmRequest.of("gpt-test", "Weather?").withTools(List.of(WEATHER)), pieces::add);

    assertEquals(List.of(), pieces, "a tool call is no text");
    assertEquals(
        List.of(new ToolCall("call_s", "get_weather", "{\"city\":\"Oslo\"}")),
        response.toolCalls());
    assertEquals(LlmResponse.TOOL_EXECUTION, response.finishReason());
    assertEquals(25, response.inputTokens());
    assertEquals(
        "get_weather",
        server
            .received()
            .get(0)
            .body()
            .path("tools")
            .get(0)
            .path("function")
            .path("name")
            .asText());
  }

  @Test
  void streamErrorsAreMappedAsCallErrorsAre() {
    server =
        FakeOpenAiServer.start(
            r -> Reply.error(429, "requests", "rate_limit_exceeded", RATE_LIMIT_MESSAGE));
    List<String> pieces = new CopyOnWriteArrayList<>();

    LlmException e =
        assertThrows(
            LlmException.class,
            () -> streamingClient().stream(LlmRequest.of("gpt-test", "hi"), pieces::add));

    assertEquals(ErrorKind.RATE_LIMITED, e.kind());
    assertEquals(Duration.ofMillis(1500), e.retryAfter());
    assertEquals(List.of(), pieces);
    assertEquals(1, server.received().size());
  }

  @Test
  void anAnswerStreamedUntilTheContentFilterIsARefusal() {
    server =
        FakeOpenAiServer.start(
            r -> {
              Reply partial = Reply.stream(List.of("Sure, "), "gpt-test", 9, 1);
              List<String> events = new ArrayList<>(partial.events());
              events.set(1, events.get(1).replace("\"stop\"", "\"content_filter\""));
              return new Reply(200, Map.of(), null, Duration.ZERO, events, Duration.ZERO, null);
            });

    LlmException e =
        assertThrows(
            LlmException.class,
            () -> streamingClient().stream(LlmRequest.of("gpt-test", "x"), piece -> {}));

    assertEquals(ErrorKind.CONTENT_REFUSED, e.kind());
    assertEquals(9, e.spent().inputTokens(), "the refused answer's tokens still count");
  }

  /** A stream of 400 words, 50 ms apart: 20 s to the end. */
  private static Reply slowStream() {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      words.add("w" + i + " ");
    }
    return Reply.stream(words, "gpt-test", 1, words.size()).eventsApart(Duration.ofMillis(50));
  }

  @Test
  void interruptDuringASlowStreamReturnsAtOnceAndClosesTheStream() throws Exception {
    server = FakeOpenAiServer.start(r -> slowStream());
    Langchain4jLlmClient client = streamingClient();
    CountDownLatch streaming = new CountDownLatch(1);
    List<String> pieces = new CopyOnWriteArrayList<>();
    Caller caller =
        Caller.start(
            () ->
                client.stream(
                    LlmRequest.of("gpt-test", "Write a lot"),
                    piece -> {
                      pieces.add(piece);
                      streaming.countDown();
                    }));
    assertTrue(streaming.await(10, TimeUnit.SECONDS), "the stream started");
    long interrupted = System.nanoTime();

    caller.thread.interrupt();

    assertInstanceOf(InterruptedException.class, caller.thrown(Duration.ofSeconds(5)));
    assertTrue(
        System.nanoTime() - interrupted < TimeUnit.SECONDS.toNanos(2),
        "returned promptly, not at the end of the 20 s stream");
    assertTrue(
        server.awaitClientLeftAStream(Duration.ofSeconds(10)),
        "langchain4j closed the stream: the server's next writes failed");
    assertTrue(pieces.size() < 400, "pieces: " + pieces.size());
  }

  @Test
  void aFailingConsumerStopsTheStreamAndItsExceptionIsThrown() throws Exception {
    server = FakeOpenAiServer.start(r -> slowStream());
    IllegalStateException full = new IllegalStateException("the consumer is full");

    IllegalStateException thrown =
        assertThrows(
            IllegalStateException.class,
            () ->
                streamingClient().stream(
                    LlmRequest.of("gpt-test", "Write a lot"),
                    piece -> {
                      throw full;
                    }));

    assertEquals(full, thrown, "thrown unchanged, not as an LlmException");
    assertTrue(server.awaitClientLeftAStream(Duration.ofSeconds(10)), "the stream was closed");
  }

  @Test
  void anInterruptBeforeTheFirstPieceCancelsTheStreamWhenItStarts() throws Exception {
    CountDownLatch arrived = startAnswering(slowStream().after(Duration.ofMillis(500)));
    Langchain4jLlmClient client = streamingClient();
    List<String> pieces = new CopyOnWriteArrayList<>();
    Caller caller =
        Caller.start(() -> client.stream(LlmRequest.of("gpt-test", "Write a lot"), pieces::add));
    assertTrue(arrived.await(10, TimeUnit.SECONDS), "the request reached the server");

    caller.thread.interrupt();

    assertInstanceOf(InterruptedException.class, caller.thrown(Duration.ofSeconds(5)));
    assertEquals(List.of(), pieces);
    assertTrue(
        server.awaitClientLeftAStream(Duration.ofSeconds(10)),
        "cancelled by the handle langchain4j gave with the first piece");
  }

  @Test
  void aToolSchemaBecomesLangchain4jTypesWhereTheyFitAndRawWhereNot() throws Exception {
    JsonObjectSchema schema =
        Langchain4jLlmClient.objectSchema(FakeOpenAiServer.JSON.readTree(WEATHER_SCHEMA));

    Map<String, JsonSchemaElement> properties = schema.properties();
    assertEquals(List.of("city"), schema.required());
    assertEquals("the city's name", properties.get("city").description());
    assertInstanceOf(JsonStringSchema.class, properties.get("city"));
    assertInstanceOf(JsonIntegerSchema.class, properties.get("days"));
    assertEquals(
        List.of("celsius", "fahrenheit"),
        assertInstanceOf(JsonEnumSchema.class, properties.get("unit")).enumValues());
    assertInstanceOf(
        JsonNumberSchema.class,
        assertInstanceOf(JsonArraySchema.class, properties.get("hours")).items());
    JsonObjectSchema where = assertInstanceOf(JsonObjectSchema.class, properties.get("where"));
    assertEquals(List.of("lat", "lon"), where.required());
    assertInstanceOf(JsonRawSchema.class, properties.get("when"), "format has no typed field");
    assertInstanceOf(JsonRawSchema.class, properties.get("detail"), "anyOf is kept raw");
  }

  @Test
  void withoutAStreamingModelTheWholeTextComesOnce() throws Exception {
    server = FakeOpenAiServer.start(r -> Reply.ok("Paris is the capital.", "gpt-test", 5, 5));
    List<String> pieces = new ArrayList<>();

    LlmResponse response = client().stream(LlmRequest.of("gpt-test", "Capital?"), pieces::add);

    assertEquals(List.of("Paris is the capital."), pieces);
    assertEquals("Paris is the capital.", response.text());
    assertFalse(server.received().get(0).body().path("stream").asBoolean());
  }

  @Test
  void withOnlyAStreamingModelACallStreams() throws Exception {
    server = FakeOpenAiServer.start(r -> Reply.stream(List.of("Pa", "ris"), "gpt-test", 3, 2));

    LlmResponse response =
        new Langchain4jLlmClient(null, streamingModel())
            .call(LlmRequest.of("gpt-test", "Capital?"));

    assertEquals("Paris", response.text());
    assertEquals(3, response.inputTokens());
    assertEquals(2, response.outputTokens());
    assertTrue(server.received().get(0).body().path("stream").asBoolean());
  }

  @Test
  void translatesErrorsOfProvidersThatDoNotMapThem() {
    assertEquals(ErrorKind.RATE_LIMITED, kindOf(new HttpException(429, "slow down")));
    assertEquals(ErrorKind.SERVER_ERROR, kindOf(new HttpException(502, "bad gateway")));
    assertEquals(ErrorKind.TIMEOUT, kindOf(new HttpException(408, "timeout")));
    assertEquals(ErrorKind.AUTHENTICATION, kindOf(new HttpException(403, "forbidden")));
    assertEquals(ErrorKind.INVALID_REQUEST, kindOf(new HttpException(422, "unprocessable")));
    assertEquals(ErrorKind.INVALID_REQUEST, kindOf(new UnresolvedModelServerException("no host")));
    assertEquals(ErrorKind.INVALID_REQUEST, kindOf(new IllegalArgumentException("temperature")));
    assertEquals(ErrorKind.TRANSIENT, kindOf(new LangChain4jException("something")));
    assertEquals(
        ErrorKind.TRANSIENT,
        kindOf(new RuntimeException(new java.net.ConnectException("refused"))));
    IllegalStateException bug = new IllegalStateException("provider bug");
    assertEquals(bug, Langchain4jLlmClient.translate(bug), "unknown errors pass through");
  }

  private static ErrorKind kindOf(RuntimeException e) {
    return ((LlmException) Langchain4jLlmClient.translate(e)).kind();
  }

  @Test
  void readsRetryHintsFromErrorTexts() {
    assertEquals(Duration.ofMillis(1500), hint("Please try again in 1.5s. Visit ..."));
    assertEquals(Duration.ofMillis(20), hint("Please try again in 20ms."));
    assertEquals(Duration.ofSeconds(432), hint("Please try again in 7m12s."));
    assertEquals(Duration.ofSeconds(3), hint("Please retry after 3 seconds."));
    assertEquals(Duration.ofSeconds(60), hint("Try again in 60 seconds"));
    assertEquals(Duration.ofSeconds(2), hint("retry-after: 2"));
    assertNull(hint("Too many requests"));
    assertNull(hint(null));
  }

  private static Duration hint(String text) {
    return Langchain4jLlmClient.retryAfterHint(text);
  }
}
