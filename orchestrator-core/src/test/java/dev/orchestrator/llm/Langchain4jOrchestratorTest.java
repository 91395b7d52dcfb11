package dev.orchestrator.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.llm.FakeOpenAiServer.Reply;
import dev.orchestrator.memory.InMemoryRateLimiter;
import dev.orchestrator.metrics.MicrometerMetricsRecorder;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.testing.Waits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End to end: the orchestrator runs LLM tasks through the langchain4j adapter and OpenAiChatModel
 * against a local OpenAI-format server, under the in-memory rate limiter, with Micrometer metrics.
 * The prompt tells the server how to answer.
 */
class Langchain4jOrchestratorTest {
  private static final String MODEL = "gpt-test";
  private static final String ANSWERING_MODEL = "gpt-test-2024-07-18";

  private final Map<String, AtomicInteger> callsByPrompt = new ConcurrentHashMap<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private FakeOpenAiServer server;
  private Orchestrator orchestrator;

  @BeforeEach
  void start() {
    server = FakeOpenAiServer.start(this::answer);
    OpenAiChatModel model =
        OpenAiChatModel.builder()
            .baseUrl(server.baseUrl())
            .apiKey("test")
            .modelName(MODEL)
            .maxRetries(0)
            .timeout(Duration.ofMillis(500))
            .build();
    orchestrator =
        Orchestrator.builder()
            .llm(new Langchain4jLlmClient(model))
            .rateLimiter(InMemoryRateLimiter.builder().limit(MODEL, 50, 1_000_000).build())
            .prices(
                PriceTable.builder()
                    .price(ANSWERING_MODEL, new BigDecimal("1.00"), new BigDecimal("2.00"))
                    .build())
            .metrics(new MicrometerMetricsRecorder(registry))
            // backoff of at most 20 ms; a Retry-After is honoured up to the 5 s ceiling
            .defaultRetryPolicy(new RetryPolicy(Duration.ofMillis(20), 1.0, Duration.ofSeconds(5)))
            .workers(4)
            .build()
            .start();
  }

  @AfterEach
  void stop() {
    orchestrator.close();
    server.close();
  }

  /** The server's behaviour, chosen by the prompt; {@code #n} counts calls per prompt. */
  private Reply answer(FakeOpenAiServer.Received request) {
    String prompt = request.prompt();
    int n = callsByPrompt.computeIfAbsent(prompt, k -> new AtomicInteger()).incrementAndGet();
    if (prompt.startsWith("rate-limited once") && n == 1) {
      return Reply.error(
              429,
              "requests",
              "rate_limit_exceeded",
              "Rate limit reached for gpt-test on requests per min (RPM): Limit 3, Used 3, "
                  + "Requested 1. Please try again in 300ms.")
          .withHeader("Retry-After", "1");
    }
    if (prompt.startsWith("always 500")) {
      return Reply.error(500, "server_error", null, "The server had an error");
    }
    if (prompt.startsWith("bad key")) {
      return Reply.error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key");
    }
    if (prompt.startsWith("slow")) {
      return Reply.ok("too late", ANSWERING_MODEL, 1, 1).after(Duration.ofSeconds(3));
    }
    if (prompt.startsWith("forbidden")) {
      return Reply.completion(null, ANSWERING_MODEL, "content_filter", 40, 0);
    }
    return Reply.ok("answer to " + prompt, ANSWERING_MODEL, 1000, 500);
  }

  private Task run(TaskSpec spec) throws Exception {
    Task submitted = orchestrator.submit(spec);
    return orchestrator.await(submitted.id()).get(30, TimeUnit.SECONDS);
  }

  private static TaskSpec spec(String prompt, int maxAttempts) {
    return TaskSpec.prompt(prompt).model(MODEL).maxAttempts(maxAttempts).build();
  }

  @Test
  void successRecordsTheAnswerTokensAndCost() throws Exception {
    Task done = run(spec("hello", 3));

    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals("answer to hello", done.output());
    assertEquals(1, done.attempt());
    assertEquals(1000, done.usage().inputTokens());
    assertEquals(500, done.usage().outputTokens());
    // 1000 * $1/M + 500 * $2/M
    assertEquals(
        0, new BigDecimal("0.002").compareTo(done.usage().cost()), done.usage().toString());
    List<Attempt> attempts = orchestrator.attempts(done.id());
    assertEquals(1, attempts.size());
    assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(0).outcome());
    assertEquals(ANSWERING_MODEL, attempts.get(0).model());
    assertEquals(MODEL, server.received().get(0).model());

    assertEquals(
        1000,
        registry
            .get(MicrometerMetricsRecorder.TOKENS)
            .tags("model", ANSWERING_MODEL, "direction", "input")
            .counter()
            .count());
    // transitions reach the metrics just after their commit: wait for it, do not race it
    Waits.until("the completion counted", Duration.ofSeconds(10), () -> completions() >= 1);
    assertEquals(
        1,
        registry
            .get(MicrometerMetricsRecorder.RUN_TIME)
            .tags("type", Task.LLM_TYPE, "outcome", "SUCCEEDED")
            .timer()
            .count());
    assertEquals(
        1,
        registry
            .get(MicrometerMetricsRecorder.RATE_LIMIT_WAIT)
            .tag("model", MODEL)
            .timer()
            .count());
  }

  @Test
  void rateLimitIsRetriedAfterTheProvidersDelay() throws Exception {
    Task done = run(spec("rate-limited once", 3));

    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals(2, done.attempt());
    List<Attempt> attempts = orchestrator.attempts(done.id());
    assertEquals(AttemptOutcome.RETRYABLE_FAILURE, attempts.get(0).outcome());
    assertEquals(ErrorKind.RATE_LIMITED, attempts.get(0).error().kind());
    assertEquals(AttemptOutcome.SUCCEEDED, attempts.get(1).outcome());
    assertEquals(1000, done.usage().inputTokens(), "the refused call spent no tokens");
    // the retry waited the 300 ms the provider asked for, not the 20 ms backoff
    Duration gap = Duration.between(attempts.get(0).finishedAt(), attempts.get(1).startedAt());
    assertTrue(gap.toMillis() >= 290, "retried after " + gap);
    assertEquals(2, callsByPrompt.get("rate-limited once").get());
  }

  @Test
  void serverErrorsAreRetriedUntilTheBudgetIsSpent() throws Exception {
    Task done = run(spec("always 500", 3));

    assertEquals(TaskStatus.FAILED, done.status());
    assertEquals(3, done.attempt());
    assertEquals(ErrorKind.SERVER_ERROR, done.error().kind());
    List<Attempt> attempts = orchestrator.attempts(done.id());
    assertEquals(3, attempts.size());
    attempts.forEach(a -> assertEquals(ErrorKind.SERVER_ERROR, a.error().kind()));
    assertEquals(0, done.usage().totalTokens());
    assertEquals(3, callsByPrompt.get("always 500").get(), "one HTTP call per attempt");
  }

  @Test
  void badCredentialsFailAtOnce() throws Exception {
    Task done = run(spec("bad key", 3));

    assertEquals(TaskStatus.FAILED, done.status());
    assertEquals(1, done.attempt());
    assertEquals(ErrorKind.AUTHENTICATION, done.error().kind());
    assertEquals(AttemptOutcome.FATAL_FAILURE, orchestrator.attempts(done.id()).get(0).outcome());
  }

  @Test
  void clientTimeoutsAreRetried() throws Exception {
    Task done = run(spec("slow", 2));

    assertEquals(TaskStatus.FAILED, done.status());
    assertEquals(2, done.attempt());
    assertEquals(ErrorKind.TIMEOUT, done.error().kind());
    orchestrator
        .attempts(done.id())
        .forEach(
            a -> {
              assertEquals(AttemptOutcome.RETRYABLE_FAILURE, a.outcome());
              assertEquals(ErrorKind.TIMEOUT, a.error().kind());
            });
  }

  @Test
  void contentRefusalIsFatal() throws Exception {
    Task done = run(spec("forbidden topic", 3));

    assertEquals(TaskStatus.FAILED, done.status());
    assertEquals(1, done.attempt());
    assertEquals(ErrorKind.CONTENT_REFUSED, done.error().kind());
    assertNull(done.output());
    // the refused answer was billed: its tokens and cost count
    assertEquals(40, done.usage().inputTokens());
    assertEquals(
        0, new BigDecimal("0.00004").compareTo(done.usage().cost()), done.usage().toString());
    assertEquals(40, orchestrator.attempts(done.id()).get(0).usage().inputTokens());
    assertEquals(ANSWERING_MODEL, orchestrator.attempts(done.id()).get(0).model());
    List<TaskEvent> events = orchestrator.events(done.id());
    assertEquals(TaskStatus.FAILED, events.get(events.size() - 1).to());
  }

  @Test
  void cancellingARunningCallInterruptsIt() throws Exception {
    CountDownLatch arrived = new CountDownLatch(1);
    server.answer(
        r -> {
          arrived.countDown();
          return Reply.ok("too late", ANSWERING_MODEL, 1, 1).after(Duration.ofSeconds(20));
        });
    OpenAiChatModel patient =
        OpenAiChatModel.builder()
            .baseUrl(server.baseUrl())
            .apiKey("test")
            .modelName(MODEL)
            .maxRetries(0)
            .timeout(Duration.ofSeconds(60))
            .build();
    try (Orchestrator own =
        Orchestrator.builder().llm(new Langchain4jLlmClient(patient)).workers(1).build().start()) {
      Task task = own.submit(spec("a long answer", 3));
      assertTrue(arrived.await(10, TimeUnit.SECONDS));
      long cancelledAt = System.nanoTime();

      own.cancel(task.id());

      Task done = own.await(task.id()).get(10, TimeUnit.SECONDS);
      assertEquals(TaskStatus.CANCELLED, done.status());
      assertEquals(1, done.attempt());
      // the one worker was freed by the interrupt, not by the 20 s answer
      server.answer(this::answer);
      Task next = own.submit(spec("after the cancel", 1));
      assertEquals(TaskStatus.COMPLETED, own.await(next.id()).get(10, TimeUnit.SECONDS).status());
      assertTrue(System.nanoTime() - cancelledAt < TimeUnit.SECONDS.toNanos(10));
    }
  }

  @Test
  void manyTasksRunUnderTheRateLimit() throws Exception {
    List<Task> tasks =
        orchestrator.submitAll(
            java.util.stream.IntStream.range(0, 20).mapToObj(i -> spec("batch " + i, 3)).toList());
    for (Task t : tasks) {
      Task done = orchestrator.await(t.id()).get(30, TimeUnit.SECONDS);
      assertEquals(TaskStatus.COMPLETED, done.status());
      assertEquals(1, done.attempt());
    }
    Waits.until("twenty completions counted", Duration.ofSeconds(10), () -> completions() == 20);
    assertEquals(
        20.0 * 1000,
        registry
            .get(MicrometerMetricsRecorder.TOKENS)
            .tags("model", ANSWERING_MODEL, "direction", "input")
            .counter()
            .count());
  }

  @Test
  void eachTaskChoosesItsModelThroughOneClient() throws Exception {
    Task small = run(TaskSpec.prompt("which model, small").model("gpt-small").build());
    Task large = run(TaskSpec.prompt("which model, large").model("gpt-large").build());
    Task fallback = run(TaskSpec.prompt("which model, default").build());
    assertEquals(TaskStatus.COMPLETED, small.status());
    assertEquals(TaskStatus.COMPLETED, large.status());
    assertEquals(TaskStatus.COMPLETED, fallback.status());
    Map<String, String> modelByPrompt = new java.util.HashMap<>();
    server.received().forEach(r -> modelByPrompt.put(r.prompt(), r.model()));
    assertEquals("gpt-small", modelByPrompt.get("which model, small"));
    assertEquals("gpt-large", modelByPrompt.get("which model, large"));
    assertEquals(MODEL, modelByPrompt.get("which model, default"), "the ChatModel's own default");
  }

  @Test
  void costTotalsAreQueryableByModelAndOwner() throws Exception {
    run(spec("hello once", 1));
    Task acme = orchestrator.forOwner("acme").submit(spec("hello acme", 1));
    orchestrator.await(acme.id()).get(30, TimeUnit.SECONDS);
    List<dev.orchestrator.UsageTotal> acmeTotals = orchestrator.forOwner("acme").usage();
    assertEquals(1, acmeTotals.size());
    assertEquals(ANSWERING_MODEL, acmeTotals.get(0).model());
    assertEquals(1000, acmeTotals.get(0).inputTokens());
    assertEquals(0, new BigDecimal("0.002").compareTo(acmeTotals.get(0).cost()));
    BigDecimal all =
        orchestrator.usage().stream()
            .map(dev.orchestrator.UsageTotal::cost)
            .reduce(BigDecimal.ZERO, BigDecimal::add);
    assertEquals(0, new BigDecimal("0.004").compareTo(all), all.toString());
  }

  private double completions() {
    io.micrometer.core.instrument.Counter c =
        registry
            .find(MicrometerMetricsRecorder.TRANSITIONS)
            .tags("from", "RUNNING", "to", "COMPLETED")
            .counter();
    return c == null ? 0 : c.count();
  }
}
