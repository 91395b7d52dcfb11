package dev.orchestrator.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
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
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.spi.LlmClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
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
 * <p><b>Tools.</b> A request's {@link ToolSpec}s become {@code ToolSpecification}s, its turns
 * {@code UserMessage}s, {@code AiMessage}s with their {@code ToolExecutionRequest}s and {@code
 * ToolExecutionResultMessage}s, and the answer's tool execution requests become {@link
 * LlmResponse#toolCalls()}; an answer with tool calls has the finish reason {@link
 * LlmResponse#TOOL_EXECUTION} even where a provider says {@code STOP}. A tool's JSON schema becomes
 * langchain4j's typed schema where it uses only types, descriptions, enums of strings, array items,
 * object properties, {@code required} and a boolean {@code additionalProperties}; any other part is
 * passed as a {@code JsonRawSchema}, so no keyword is lost inside the schema (at its root only
 * {@code description}, {@code properties}, {@code required}, {@code additionalProperties} and
 * {@code $defs} are kept).
 *
 * <p><b>Streaming.</b> Given a {@link StreamingChatModel}, {@link #stream} gives each piece of text
 * as the model writes it, on the calling thread; its answer, usage and errors are those of {@link
 * #call}. An interrupt cancels the stream through langchain4j's {@code StreamingHandle} (with
 * OpenAI, the connection is closed) and throws {@link InterruptedException} at once; langchain4j
 * hands out that handle with the first piece, so a stream interrupted before it is cancelled when
 * that piece arrives. Build the streaming model with a timeout too; note that a provider's read
 * timeout may bound only the wait for the response headers: a stream that stalls afterwards ends
 * with the task's timeout (an interrupt). Without a streaming model, {@link #stream} makes the call
 * and gives the whole text at once; without a chat model, {@link #call} streams and returns the
 * answer.
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

  private static final Set<String> TYPED_KEYS = Set.of("type", "description");
  private static final Set<String> ENUM_KEYS = Set.of("type", "description", "enum");
  private static final Set<String> ARRAY_KEYS = Set.of("type", "description", "items");
  private static final Set<String> OBJECT_KEYS =
      Set.of("type", "description", "properties", "required", "additionalProperties");

  private final ChatModel model;
  private final StreamingChatModel streamingModel;

  /**
   * @param model the model to call; build it with {@code maxRetries(0)}
   */
  public Langchain4jLlmClient(ChatModel model) {
    this(Objects.requireNonNull(model, "model"), null);
  }

  /**
   * A client that calls {@code model} and streams from {@code streamingModel}, usually the same
   * provider and model built both ways; either may be null, not both.
   *
   * @param model the model {@link #call} uses, or null to stream every call
   * @param streamingModel the model {@link #stream} uses, or null to stream by calling; build it
   *     with {@code maxRetries(0)} too where the provider has it
   */
  public Langchain4jLlmClient(ChatModel model, StreamingChatModel streamingModel) {
    if (model == null && streamingModel == null) {
      throw new NullPointerException("model and streamingModel");
    }
    this.model = model;
    this.streamingModel = streamingModel;
  }

  @Override
  public LlmResponse call(LlmRequest request) throws LlmException, InterruptedException {
    if (model == null) {
      return stream(request, piece -> {});
    }
    ChatRequest chatRequest = chatRequestOf(request);
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

  @Override
  public LlmResponse stream(LlmRequest request, Consumer<String> onPartial)
      throws LlmException, InterruptedException {
    Objects.requireNonNull(onPartial, "onPartial");
    if (streamingModel == null) {
      return LlmClient.super.stream(request, onPartial);
    }
    ChatRequest chatRequest = chatRequestOf(request);
    long start = System.nanoTime();
    Stream stream = new Stream();
    try {
      streamingModel.chat(chatRequest, stream);
    } catch (RuntimeException e) {
      throw translate(e); // refused before it started
    }
    boolean finished = false;
    try {
      while (true) {
        Object event = stream.events.take();
        if (event instanceof String piece) {
          onPartial.accept(piece);
        } else if (event instanceof ChatResponse response) {
          finished = true;
          return toLlmResponse(request, response, Duration.ofNanos(System.nanoTime() - start));
        } else {
          finished = true;
          Throwable failure = (Throwable) event;
          throw translate(
              failure instanceof RuntimeException e ? e : new RuntimeException(failure));
        }
      }
    } finally {
      if (!finished) {
        stream.stop(); // interrupted, or onPartial failed
      }
    }
  }

  /** {@link #toChatRequest}, with a failure of langchain4j's validation translated. */
  private static ChatRequest chatRequestOf(LlmRequest request) {
    try {
      return toChatRequest(request);
    } catch (RuntimeException e) {
      throw translate(e);
    }
  }

  /**
   * The langchain4j request for one of ours: system and user messages, the turns, the tools and the
   * call options.
   */
  static ChatRequest toChatRequest(LlmRequest request) {
    List<ChatMessage> messages = new ArrayList<>(2 + request.turns().size());
    if (request.systemPrompt() != null && !request.systemPrompt().isBlank()) {
      messages.add(SystemMessage.from(request.systemPrompt()));
    }
    messages.add(UserMessage.from(request.prompt()));
    for (LlmMessage turn : request.turns()) {
      messages.add(toChatMessage(turn));
    }
    ChatRequest.Builder chat =
        ChatRequest.builder()
            .messages(messages)
            .modelName(request.model())
            .temperature(request.temperature())
            .maxOutputTokens(request.maxOutputTokens());
    if (!request.tools().isEmpty()) {
      chat.toolSpecifications(
          request.tools().stream().map(Langchain4jLlmClient::toToolSpecification).toList());
    }
    return chat.build();
  }

  private static ToolSpecification toToolSpecification(ToolSpec tool) {
    return ToolSpecification.builder()
        .name(tool.name())
        .description(tool.description())
        .parameters(objectSchema(tool.parametersSchema()))
        .build();
  }

  private static ChatMessage toChatMessage(LlmMessage turn) {
    switch (turn.role()) {
      case USER:
        return UserMessage.from(turn.text());
      case TOOL:
        return ToolExecutionResultMessage.from(turn.toolCallId(), turn.toolName(), turn.text());
      default:
        List<ToolExecutionRequest> calls =
            turn.toolCalls().stream()
                .map(
                    call ->
                        ToolExecutionRequest.builder()
                            .id(call.id())
                            .name(call.name())
                            .arguments(call.arguments())
                            .build())
                .toList();
        boolean onlyCalls = turn.text().isEmpty() && !calls.isEmpty();
        return AiMessage.builder()
            .text(onlyCalls ? null : turn.text())
            .toolExecutionRequests(calls)
            .build();
    }
  }

  /**
   * The root of a tool's parameter schema as langchain4j's object schema; see the class comment.
   */
  static JsonObjectSchema objectSchema(JsonNode schema) {
    JsonObjectSchema.Builder object =
        JsonObjectSchema.builder().description(schema.path("description").textValue());
    for (Map.Entry<String, JsonNode> property : schema.path("properties").properties()) {
      object.addProperty(property.getKey(), schemaElement(property.getValue()));
    }
    List<String> required = new ArrayList<>();
    schema.path("required").forEach(name -> required.add(name.asText()));
    if (!required.isEmpty()) {
      object.required(required);
    }
    if (schema.path("additionalProperties").isBoolean()) {
      object.additionalProperties(schema.get("additionalProperties").booleanValue());
    }
    Map<String, JsonSchemaElement> definitions = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> definition : schema.path("$defs").properties()) {
      definitions.put(definition.getKey(), schemaElement(definition.getValue()));
    }
    if (!definitions.isEmpty()) {
      object.definitions(definitions);
    }
    return object.build();
  }

  /** A schema as langchain4j's typed element where it has one, else as a raw schema. */
  private static JsonSchemaElement schemaElement(JsonNode schema) {
    String type = schema.path("type").textValue();
    String description = schema.path("description").textValue();
    if (schema.has("enum")) {
      List<String> values = new ArrayList<>();
      schema.get("enum").forEach(v -> values.add(v.textValue()));
      if (onlyKeys(schema, ENUM_KEYS)
          && (type == null || type.equals("string"))
          && !values.isEmpty()
          && !values.contains(null)) {
        return JsonEnumSchema.builder().description(description).enumValues(values).build();
      }
    } else if (type != null && onlyKeys(schema, TYPED_KEYS)) {
      switch (type) {
        case "string":
          return JsonStringSchema.builder().description(description).build();
        case "integer":
          return JsonIntegerSchema.builder().description(description).build();
        case "number":
          return JsonNumberSchema.builder().description(description).build();
        case "boolean":
          return JsonBooleanSchema.builder().description(description).build();
        case "null":
          if (description == null) {
            return new JsonNullSchema();
          }
          break;
        default:
          break;
      }
    }
    if ("array".equals(type) && onlyKeys(schema, ARRAY_KEYS) && schema.path("items").isObject()) {
      return JsonArraySchema.builder()
          .description(description)
          .items(schemaElement(schema.get("items")))
          .build();
    }
    if ("object".equals(type)
        && onlyKeys(schema, OBJECT_KEYS)
        && (!schema.has("additionalProperties")
            || schema.get("additionalProperties").isBoolean())) {
      return objectSchema(schema);
    }
    return JsonRawSchema.from(schema.toString());
  }

  private static boolean onlyKeys(JsonNode schema, Set<String> allowed) {
    return schema.properties().stream().allMatch(keyword -> allowed.contains(keyword.getKey()));
  }

  private static LlmResponse toLlmResponse(
      LlmRequest request, ChatResponse response, Duration latency) throws LlmException {
    FinishReason finish = response.finishReason();
    String answeredBy = response.modelName() != null ? response.modelName() : request.model();
    TokenUsage usage = response.tokenUsage();
    AiMessage message = response.aiMessage();
    List<ToolCall> toolCalls = new ArrayList<>();
    if (message != null && message.hasToolExecutionRequests()) {
      for (ToolExecutionRequest call : message.toolExecutionRequests()) {
        toolCalls.add(new ToolCall(call.id(), call.name(), call.arguments()));
      }
    }
    if (!toolCalls.isEmpty() && (finish == null || finish == FinishReason.STOP)) {
      finish = FinishReason.TOOL_EXECUTION; // some providers say STOP with tool calls
    }
    LlmResponse answer =
        new LlmResponse(
            message == null ? null : message.text(),
            answeredBy,
            usage == null ? 0 : orZero(usage.inputTokenCount()),
            usage == null ? 0 : orZero(usage.outputTokenCount()),
            finish == null ? null : finish.name(),
            latency,
            toolCalls);
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

  /**
   * Receives a stream on langchain4j's thread and queues it for the calling thread: each piece of
   * text, then the complete response or the failure.
   */
  private static final class Stream implements StreamingChatResponseHandler {
    final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private volatile boolean stopped;
    private volatile StreamingHandle handle;

    @Override
    public void onPartialResponse(String text) {
      if (!stopped && text != null && !text.isEmpty()) {
        events.add(text);
      }
    }

    @Override
    public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
      hold(context == null ? null : context.streamingHandle());
      onPartialResponse(partial.text());
    }

    @Override
    public void onPartialThinking(PartialThinking thinking, PartialThinkingContext context) {
      hold(context == null ? null : context.streamingHandle());
    }

    @Override
    public void onPartialToolCall(PartialToolCall call, PartialToolCallContext context) {
      hold(context == null ? null : context.streamingHandle());
    }

    @Override
    public void onCompleteResponse(ChatResponse response) {
      events.add(response);
    }

    @Override
    public void onError(Throwable error) {
      events.add(error);
    }

    /** Keeps the handle to cancel with; cancels at once when the caller stopped already. */
    private void hold(StreamingHandle streamingHandle) {
      if (streamingHandle != null && handle == null) {
        handle = streamingHandle;
        if (stopped) {
          streamingHandle.cancel();
        }
      }
    }

    /** The caller gave up: cancel the stream now if it started, else when it does. */
    void stop() {
      stopped = true;
      StreamingHandle started = handle;
      if (started != null) {
        started.cancel();
      }
    }
  }
}
