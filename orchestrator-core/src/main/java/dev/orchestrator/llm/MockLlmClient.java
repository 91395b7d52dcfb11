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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic stand-in for a model, the embedded default. Its output is a pure function of the
 * request ({@link #outputFor(LlmRequest)}), so chains can be checked; it sleeps a configurable
 * latency (interruptibly, like a real call) and fails by rule: prompts containing a marker fail a
 * number of times with a given {@link ErrorKind} before they succeed.
 *
 * <pre>{@code
 * MockLlmClient llm = MockLlmClient.builder()
 *     .latency(Duration.ofMillis(50))
 *     .failFirst("flaky", 2, ErrorKind.SERVER_ERROR)   // fails twice per prompt, then answers
 *     .failAlways("forbidden", ErrorKind.CONTENT_REFUSED)
 *     .callTool("get_weather", "{\"city\": \"Oslo\"}") // calls the tool once, then answers
 *     .build();
 * }</pre>
 *
 * <p><b>Tool calls.</b> A {@link Builder#callTool(String, String) tool rule} applies to a request
 * that offers its tool and whose turns hold no result of that tool yet: the mock then answers with
 * one call of the tool with the rule's arguments, no text, and finish reason {@link
 * LlmResponse#TOOL_EXECUTION}. The call's id is {@code call-N}, N being one more than the number of
 * tool results in the turns. Rules are tried in the order they were added; when none applies, the
 * mock answers with text as usual, {@link #outputFor(LlmRequest)}: after a tool result that is the
 * output for the result's content.
 *
 * <p><b>Streaming.</b> {@link #stream} gives the text word by word (each piece a word with the
 * whitespace after it), the latency spread evenly before the pieces; a failure is thrown after the
 * first share of the latency, before any piece.
 */
public final class MockLlmClient implements LlmClient {
  /** Model reported when the request names none. */
  public static final String DEFAULT_MODEL = "mock-1";

  private static final Pattern WORDS = Pattern.compile("\\S*\\s*");

  private final Duration latency;
  private final List<FailureRule> rules;
  private final List<ToolRule> toolRules;
  private final Map<String, AtomicInteger> failuresByRuleAndPrompt = new ConcurrentHashMap<>();
  private final AtomicLong calls = new AtomicLong();

  private MockLlmClient(Builder b) {
    this.latency = b.latency;
    this.rules = List.copyOf(b.rules);
    this.toolRules = List.copyOf(b.toolRules);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The output the mock gives for a prompt: a digest and the start of the prompt. */
  public static String outputFor(String prompt) {
    String head = prompt.length() > 60 ? prompt.substring(0, 60) + "..." : prompt;
    return "mock[" + digest(prompt) + "] " + head.replace('\n', ' ');
  }

  /**
   * The text the mock answers a request with when it calls no tool: the output for its last
   * message, that is the prompt when it has no turns, else the text of its last turn (a tool's
   * result, a user's message).
   */
  public static String outputFor(LlmRequest request) {
    List<LlmMessage> turns = request.turns();
    return outputFor(turns.isEmpty() ? request.prompt() : turns.get(turns.size() - 1).text());
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
  public LlmResponse call(LlmRequest request) throws LlmException, InterruptedException {
    calls.incrementAndGet();
    long start = System.nanoTime();
    sleep(latency.toNanos());
    return answer(request, start);
  }

  /** Streams the answer word by word; see the class comment. */
  @Override
  public LlmResponse stream(LlmRequest request, Consumer<String> onPartial)
      throws LlmException, InterruptedException {
    Objects.requireNonNull(onPartial, "onPartial");
    calls.incrementAndGet();
    long start = System.nanoTime();
    ToolCall toolCall = toolCallFor(request);
    List<String> pieces = toolCall == null ? pieces(outputFor(request)) : List.of();
    long share = latency.toNanos() / Math.max(1, pieces.size());
    sleep(share);
    LlmResponse answer = answer(request, start); // a failure is thrown before any piece
    for (int i = 0; i < pieces.size(); i++) {
      if (i > 0) {
        sleep(share);
      }
      onPartial.accept(pieces.get(i));
    }
    return withLatency(answer, start);
  }

  /** The answer after the latency: a failure by rule, a tool call by rule, or the output. */
  private LlmResponse answer(LlmRequest request, long start) throws LlmException {
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
    String model = request.model() == null ? DEFAULT_MODEL : request.model();
    long inputTokens = request.estimatedInputTokens();
    Duration latency = Duration.ofNanos(System.nanoTime() - start);
    ToolCall toolCall = toolCallFor(request);
    if (toolCall != null) {
      return new LlmResponse(
          "",
          model,
          inputTokens,
          tokensOf(toolCall.name() + toolCall.arguments()),
          LlmResponse.TOOL_EXECUTION,
          latency,
          List.of(toolCall));
    }
    String text = outputFor(request);
    return new LlmResponse(text, model, inputTokens, tokensOf(text), LlmResponse.STOP, latency);
  }

  /** The tool call the first applicable tool rule makes, or null. */
  private ToolCall toolCallFor(LlmRequest request) {
    if (request.tools().isEmpty()) {
      return null;
    }
    long results = request.turns().stream().filter(t -> t.role() == LlmMessage.Role.TOOL).count();
    for (ToolRule rule : toolRules) {
      boolean offered = request.tools().stream().anyMatch(t -> t.name().equals(rule.tool));
      boolean answered =
          request.turns().stream()
              .anyMatch(t -> t.role() == LlmMessage.Role.TOOL && rule.tool.equals(t.toolName()));
      boolean marked = rule.marker == null || request.prompt().contains(rule.marker);
      if (offered && marked && !answered) {
        return new ToolCall("call-" + (results + 1), rule.tool, rule.arguments);
      }
    }
    return null;
  }

  /** The text in pieces of one word each, with the whitespace that follows it. */
  static List<String> pieces(String text) {
    List<String> pieces = new ArrayList<>();
    Matcher word = WORDS.matcher(text);
    while (word.find()) {
      if (!word.group().isEmpty()) {
        pieces.add(word.group());
      }
    }
    return pieces;
  }

  private static LlmResponse withLatency(LlmResponse r, long start) {
    return new LlmResponse(
        r.text(),
        r.model(),
        r.inputTokens(),
        r.outputTokens(),
        r.finishReason(),
        Duration.ofNanos(System.nanoTime() - start),
        r.toolCalls());
  }

  private static void sleep(long nanos) throws InterruptedException {
    if (nanos > 0) {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
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

  private record ToolRule(String marker, String tool, String arguments) {}

  public static final class Builder {
    private Duration latency = Duration.ZERO;
    private final List<FailureRule> rules = new ArrayList<>();
    private final List<ToolRule> toolRules = new ArrayList<>();

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

    /**
     * A request that offers the tool {@code tool}, and holds no result of it yet, is answered with
     * a call of it with these arguments; see the class comment.
     *
     * @param arguments the call's arguments, a JSON object text
     */
    public Builder callTool(String tool, String arguments) {
      return callTool(null, tool, arguments);
    }

    /**
     * As {@link #callTool(String, String)}, for prompts containing {@code marker} only (any prompt
     * when it is null).
     */
    public Builder callTool(String marker, String tool, String arguments) {
      Objects.requireNonNull(tool, "tool");
      Objects.requireNonNull(arguments, "arguments");
      toolRules.add(new ToolRule(marker, tool, arguments));
      return this;
    }

    public MockLlmClient build() {
      return new MockLlmClient(this);
    }
  }
}
