package dev.orchestrator.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.UnresolvedModelServerException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.llm.FakeOpenAiServer.Reply;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
    CountDownLatch arrived = new CountDownLatch(1);
    server =
        FakeOpenAiServer.start(
            r -> {
              arrived.countDown();
              return Reply.ok("late", "gpt-test", 1, 1).after(Duration.ofSeconds(10));
            });
    Langchain4jLlmClient client = client(Duration.ofSeconds(30));
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread caller =
        new Thread(
            () -> {
              try {
                client.call(LlmRequest.of("gpt-test", "hi"));
                outcome.complete(null);
              } catch (Throwable t) {
                outcome.complete(t);
              }
            });
    caller.start();
    assertTrue(arrived.await(10, TimeUnit.SECONDS));

    caller.interrupt();

    Throwable thrown = outcome.get(5, TimeUnit.SECONDS);
    assertInstanceOf(InterruptedException.class, thrown);
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
