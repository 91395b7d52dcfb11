package dev.orchestrator.llm;

import dev.orchestrator.ErrorKind;
import dev.orchestrator.spi.LlmClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deterministic stand-in for a model, the embedded default. Its output is a pure function of the
 * prompt ({@link #outputFor(String)}), so chains can be checked; it sleeps a configurable latency
 * (interruptibly, like a real call) and fails by rule: prompts containing a marker fail a number of
 * times with a given {@link ErrorKind} before they succeed.
 *
 * <pre>{@code
 * MockLlmClient llm = MockLlmClient.builder()
 *     .latency(Duration.ofMillis(50))
 *     .failFirst("flaky", 2, ErrorKind.SERVER_ERROR)   // fails twice per prompt, then answers
 *     .failAlways("forbidden", ErrorKind.CONTENT_REFUSED)
 *     .build();
 * }</pre>
 */
public final class MockLlmClient implements LlmClient {
  /** Model reported when the request names none. */
  public static final String DEFAULT_MODEL = "mock-1";

  private final Duration latency;
  private final List<FailureRule> rules;
  private final Map<String, AtomicInteger> failuresByRuleAndPrompt = new ConcurrentHashMap<>();
  private final AtomicLong calls = new AtomicLong();

  private MockLlmClient(Builder b) {
    this.latency = b.latency;
    this.rules = List.copyOf(b.rules);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The output the mock gives for a prompt: a digest and the start of the prompt. */
  public static String outputFor(String prompt) {
    String head = prompt.length() > 60 ? prompt.substring(0, 60) + "..." : prompt;
    return "mock[" + digest(prompt) + "] " + head.replace('\n', ' ');
  }

  /** The token count the mock reports for a text: one per four characters, at least one. */
  public static long tokensOf(String text) {
    return Math.max(1, (text.length() + 3) / 4);
  }

  /** Calls made so far, failed ones included. */
  public long calls() {
    return calls.get();
  }

  @Override
  public LlmResponse call(LlmRequest request) throws InterruptedException {
    calls.incrementAndGet();
    long start = System.nanoTime();
    if (!latency.isZero()) {
      Thread.sleep(latency.toMillis(), (int) (latency.toNanosPart() % 1_000_000));
    }
    for (int i = 0; i < rules.size(); i++) {
      FailureRule rule = rules.get(i);
      if (request.prompt().contains(rule.marker)) {
        AtomicInteger failed =
            failuresByRuleAndPrompt.computeIfAbsent(
                i + "\u0000" + request.prompt(), k -> new AtomicInteger());
        if (failed.getAndIncrement() < rule.times) {
          throw new LlmException(
              rule.kind,
              "mock failure " + failed.get() + " for marker '" + rule.marker + "'",
              rule.retryAfter,
              null);
        }
      }
    }
    String text = outputFor(request.prompt());
    String model = request.model() == null ? DEFAULT_MODEL : request.model();
    return new LlmResponse(
        text,
        model,
        request.estimatedInputTokens(),
        tokensOf(text),
        "STOP",
        Duration.ofNanos(System.nanoTime() - start));
  }

  private static String digest(String prompt) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private record FailureRule(String marker, int times, ErrorKind kind, Duration retryAfter) {}

  public static final class Builder {
    private Duration latency = Duration.ZERO;
    private final List<FailureRule> rules = new ArrayList<>();

    /** Time each call takes (default none). */
    public Builder latency(Duration value) {
      if (value.isNegative()) {
        throw new IllegalArgumentException("latency must not be negative");
      }
      latency = value;
      return this;
    }

    /** Prompts containing {@code marker} fail {@code times} times each, then succeed. */
    public Builder failFirst(String marker, int times, ErrorKind kind) {
      return failFirst(marker, times, kind, null);
    }

    /** As {@link #failFirst(String, int, ErrorKind)}, with a Retry-After on each failure. */
    public Builder failFirst(String marker, int times, ErrorKind kind, Duration retryAfter) {
      Objects.requireNonNull(marker, "marker");
      Objects.requireNonNull(kind, "kind");
      if (times < 1) {
        throw new IllegalArgumentException("times must be positive");
      }
      rules.add(new FailureRule(marker, times, kind, retryAfter));
      return this;
    }

    /** Prompts containing {@code marker} always fail. */
    public Builder failAlways(String marker, ErrorKind kind) {
      return failFirst(marker, Integer.MAX_VALUE, kind);
    }

    public MockLlmClient build() {
      return new MockLlmClient(this);
    }
  }
}
