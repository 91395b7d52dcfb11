package dev.orchestrator.llm;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.ContentFilteredException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InternalServerException;
import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.spi.LlmClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@link LlmClient} over any langchain4j {@link ChatModel}: OpenAI, OpenAI-compatible endpoints
 * (NVIDIA NIM, Ollama, vLLM, ...), Anthropic, Gemini, and so on. The only class of the core that
 * touches langchain4j; {@code langchain4j-core} is an optional dependency.
 *
 * <p><b>Build the model with {@code maxRetries(0)}.</b> langchain4j providers retry on their own (2
 * retries by default, with their own backoff); the orchestrator owns retries, with the attempt
 * budget, backoff, Retry-After and attempt records of the task, so a model that retries too would
 * multiply calls and hide them from the records.
 *
 * <pre>{@code
 * ChatModel model = OpenAiChatModel.builder()
 *     .apiKey(System.getenv("OPENAI_API_KEY"))
 *     .modelName("gpt-4o-mini")
 *     .maxRetries(0)                       // the orchestrator retries
 *     .timeout(Duration.ofSeconds(60))
 *     .build();
 * LlmClient llm = new Langchain4jLlmClient(model);
 * }</pre>
 *
 * <p>Errors become an {@link LlmException} of this {@link ErrorKind}:
 *
 * <ul>
 *   <li>{@code RateLimitException} (HTTP 429): {@link ErrorKind#RATE_LIMITED}, with a Retry-After
 *       read from the error text (see below);
 *   <li>{@code TimeoutException} (client timeout, HTTP 408): {@link ErrorKind#TIMEOUT};
 *   <li>{@code InternalServerException} (HTTP 5xx): {@link ErrorKind#SERVER_ERROR};
 *   <li>any other {@code RetriableException}, and I/O failures: {@link ErrorKind#TRANSIENT};
 *   <li>{@code AuthenticationException} (HTTP 401, 403): {@link ErrorKind#AUTHENTICATION};
 *   <li>{@code ContentFilteredException}, an error whose body names a content filter (OpenAI and
 *       Azure answer 400 with code {@code content_filter} or {@code content_policy_violation}), and
 *       an answer whose finish reason is {@code CONTENT_FILTER}: {@link ErrorKind#CONTENT_REFUSED};
 *   <li>{@code InvalidRequestException} (other 4xx), {@code ModelNotFoundException} (404) and any
 *       other {@code NonRetriableException}, an {@code UnsupportedFeatureException} or an {@code
 *       IllegalArgumentException} from the model's validation: {@link ErrorKind#INVALID_REQUEST};
 *   <li>a bare {@code HttpException} from a provider that does not map errors: by its status code,
 *       as above.
 * </ul>
 *
 * <p>Another runtime exception (a bug in a provider) is thrown unchanged, for the orchestrator's
 * error classifier. An interrupt during the call (cancel, timeout, shutdown) is thrown as {@link
 * InterruptedException}, with the interrupt status cleared as {@code Thread.sleep} does.
 *
 * <p><b>Retry-After.</b> langchain4j 1.x keeps only the status code and the body of a failed HTTP
 * response ({@code HttpException.statusCode()} and its message); the response headers, and so the
 * {@code Retry-After} header, are not exposed. The client reads the hint from the error text
 * instead: OpenAI writes it in the message of a 429 ("Please try again in 1.5s", "in 20ms", "in
 * 7m12s"), Azure OpenAI "Please retry after 3 seconds". When the text has no such hint, {@link
 * LlmException#retryAfter()} is null and the task's backoff applies.
 */
public final class Langchain4jLlmClient implements LlmClient {
  private static final Pattern RETRY_HINT =
      Pattern.compile(
          "(?:try again in|retry after|retry in|retry-after:?)\\s*"
              + "((?:\\d+(?:\\.\\d+)?\\s*(?:milliseconds?|ms|minutes?|min|m|hours?|h|seconds?|sec|s)?\\s*)+)",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION_PART =
      Pattern.compile(
          "(\\d+(?:\\.\\d+)?)\\s*(milliseconds?|ms|minutes?|min|m|hours?|h|seconds?|sec|s)?",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern CONTENT_FILTER =
      Pattern.compile("content_filter|content_policy_violation", Pattern.CASE_INSENSITIVE);

  private final ChatModel model;

  /**
   * @param model the model to call; build it with {@code maxRetries(0)}
   */
  public Langchain4jLlmClient(ChatModel model) {
    this.model = Objects.requireNonNull(model, "model");
  }

  @Override
  public LlmResponse call(LlmRequest request) throws LlmException, InterruptedException {
    ChatRequest chatRequest = toChatRequest(request);
    long start = System.nanoTime();
    ChatResponse response;
    try {
      response = model.chat(chatRequest);
    } catch (RuntimeException e) {
      if (Thread.interrupted() || causeOf(e, InterruptedException.class) != null) {
        InterruptedException interrupted = new InterruptedException("LLM call interrupted");
        interrupted.initCause(e);
        throw interrupted;
      }
      throw translate(e);
    }
    Duration latency = Duration.ofNanos(System.nanoTime() - start);
    return toLlmResponse(request, response, latency);
  }

  /** The langchain4j request for one of ours: system and user messages, and the call options. */
  static ChatRequest toChatRequest(LlmRequest request) {
    List<ChatMessage> messages = new ArrayList<>(2);
    if (request.systemPrompt() != null && !request.systemPrompt().isBlank()) {
      messages.add(SystemMessage.from(request.systemPrompt()));
    }
    messages.add(UserMessage.from(request.prompt()));
    return ChatRequest.builder()
        .messages(messages)
        .modelName(request.model())
        .temperature(request.temperature())
        .maxOutputTokens(request.maxOutputTokens())
        .build();
  }

  private static LlmResponse toLlmResponse(
      LlmRequest request, ChatResponse response, Duration latency) throws LlmException {
    FinishReason finish = response.finishReason();
    String answeredBy = response.modelName() != null ? response.modelName() : request.model();
    TokenUsage usage = response.tokenUsage();
    String text = response.aiMessage() == null ? null : response.aiMessage().text();
    LlmResponse answer =
        new LlmResponse(
            text,
            answeredBy,
            usage == null ? 0 : orZero(usage.inputTokenCount()),
            usage == null ? 0 : orZero(usage.outputTokenCount()),
            finish == null ? null : finish.name(),
            latency);
    if (finish == FinishReason.CONTENT_FILTER) {
      throw new LlmException(
          ErrorKind.CONTENT_REFUSED,
          "the model's content filter stopped the answer"
              + (answeredBy == null ? "" : " (" + answeredBy + ")"),
          null,
          null,
          answer); // the refused answer's tokens are still billed
    }
    return answer;
  }

  /** Our exception for a langchain4j (or other runtime) exception; see the class comment. */
  static RuntimeException translate(RuntimeException e) {
    ErrorKind kind = kindOf(e);
    if (kind == null) {
      return e;
    }
    if (kind == ErrorKind.INVALID_REQUEST && CONTENT_FILTER.matcher(allMessages(e)).find()) {
      kind = ErrorKind.CONTENT_REFUSED;
    }
    Duration retryAfter = kind == ErrorKind.RATE_LIMITED ? retryAfterHint(allMessages(e)) : null;
    return new LlmException(kind, describe(e), retryAfter, e);
  }

  private static ErrorKind kindOf(RuntimeException e) {
    if (e instanceof RateLimitException) {
      return ErrorKind.RATE_LIMITED;
    }
    if (e instanceof TimeoutException) {
      return ErrorKind.TIMEOUT;
    }
    if (e instanceof InternalServerException) {
      return ErrorKind.SERVER_ERROR;
    }
    if (e instanceof RetriableException) {
      return ErrorKind.TRANSIENT;
    }
    if (e instanceof AuthenticationException) {
      return ErrorKind.AUTHENTICATION;
    }
    if (e instanceof ContentFilteredException) {
      return ErrorKind.CONTENT_REFUSED;
    }
    if (e instanceof NonRetriableException
        || e instanceof UnsupportedFeatureException
        || e instanceof IllegalArgumentException) {
      return ErrorKind.INVALID_REQUEST;
    }
    HttpException http = causeOf(e, HttpException.class);
    if (http != null) {
      return kindOfStatus(http.statusCode());
    }
    if (causeOf(e, HttpTimeoutException.class) != null
        || causeOf(e, SocketTimeoutException.class) != null) {
      return ErrorKind.TIMEOUT;
    }
    if (causeOf(e, IOException.class) != null || e instanceof LangChain4jException) {
      return ErrorKind.TRANSIENT;
    }
    return null;
  }

  private static ErrorKind kindOfStatus(int status) {
    if (status == 429) {
      return ErrorKind.RATE_LIMITED;
    }
    if (status == 408) {
      return ErrorKind.TIMEOUT;
    }
    if (status == 401 || status == 403) {
      return ErrorKind.AUTHENTICATION;
    }
    if (status >= 500) {
      return ErrorKind.SERVER_ERROR;
    }
    return status >= 400 ? ErrorKind.INVALID_REQUEST : ErrorKind.TRANSIENT;
  }

  /**
   * The retry delay a provider wrote in an error text ("Please try again in 1.5s", "retry after 3
   * seconds", "try again in 7m12s"), or null. A number without a unit is seconds.
   */
  static Duration retryAfterHint(String text) {
    if (text == null) {
      return null;
    }
    Matcher hint = RETRY_HINT.matcher(text);
    if (!hint.find()) {
      return null;
    }
    double millis = 0;
    Matcher part = DURATION_PART.matcher(hint.group(1));
    while (part.find()) {
      double value = Double.parseDouble(part.group(1));
      String unit = part.group(2) == null ? "s" : part.group(2).toLowerCase(Locale.ROOT);
      if (unit.startsWith("ms") || unit.startsWith("milli")) {
        millis += value;
      } else if (unit.startsWith("m")) {
        millis += value * 60_000;
      } else if (unit.startsWith("h")) {
        millis += value * 3_600_000;
      } else {
        millis += value * 1_000;
      }
    }
    return millis > 0 ? Duration.ofMillis((long) Math.ceil(millis)) : null;
  }

  private static String describe(RuntimeException e) {
    HttpException http = causeOf(e, HttpException.class);
    String detail = http != null ? "HTTP " + http.statusCode() + ": " + http.getMessage() : null;
    if (detail == null) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root && root.getMessage() == null) {
        root = root.getCause();
      }
      detail = root.getMessage() == null ? root.getClass().getName() : root.getMessage();
    }
    return e.getClass().getSimpleName() + ": " + detail;
  }

  private static String allMessages(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null) {
        text.append(t.getMessage()).append('\n');
      }
    }
    return text.toString();
  }

  private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static long orZero(Integer count) {
    return count == null ? 0 : count;
  }
}
