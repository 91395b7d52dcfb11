package dev.orchestrator.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A tiny OpenAI-format chat completions server on 127.0.0.1, for tests: each request is answered by
 * a function of the request, with one JSON body or, for a streaming request, a stream of
 * server-sent events. Only {@code POST /v1/chat/completions} is served.
 */
final class FakeOpenAiServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** One request as received. */
  record Received(JsonNode body, Map<String, List<String>> headers) {
    String model() {
      return body.path("model").asText(null);
    }

    /** The content of the last message (the user prompt). */
    String prompt() {
      JsonNode messages = body.path("messages");
      return messages.get(messages.size() - 1).path("content").asText();
    }
  }

  /**
   * One answer: a status, headers, a JSON body, and a delay before it is sent; or, when {@code
   * events} is not null, a stream of server-sent events with their {@code data}, {@code gap} apart
   * (and after the first, a wait for {@code hold} when it is not null), then {@code data: [DONE]}.
   */
  record Reply(
      int status,
      Map<String, String> headers,
      String body,
      Duration delay,
      List<String> events,
      Duration gap,
      CountDownLatch hold) {
    static Reply ok(String text, String model, Integer promptTokens, Integer completionTokens) {
      return completion(text, model, "stop", promptTokens, completionTokens);
    }

    static Reply completion(
        String text,
        String model,
        String finishReason,
        Integer promptTokens,
        Integer completionTokens) {
      ObjectNode message = JSON.createObjectNode();
      message.put("role", "assistant");
      if (text == null) {
        message.putNull("content");
      } else {
        message.put("content", text);
      }
      return completion(message, model, finishReason, promptTokens, completionTokens);
    }

    /** An answer calling tools: each call is {id, name, arguments}. */
    static Reply toolCalls(String model, List<List<String>> calls) {
      ObjectNode message = JSON.createObjectNode();
      message.put("role", "assistant");
      message.putNull("content");
      ArrayNode toolCalls = message.putArray("tool_calls");
      for (List<String> call : calls) {
        ObjectNode toolCall = toolCalls.addObject();
        toolCall.put("id", call.get(0));
        toolCall.put("type", "function");
        toolCall.putObject("function").put("name", call.get(1)).put("arguments", call.get(2));
      }
      return completion(message, model, "tool_calls", 30, 12);
    }

    private static Reply completion(
        ObjectNode message,
        String model,
        String finishReason,
        Integer promptTokens,
        Integer completionTokens) {
      ObjectNode root = root(model, "chat.completion");
      ObjectNode choice = root.putArray("choices").addObject();
      choice.put("index", 0);
      choice.set("message", message);
      choice.put("finish_reason", finishReason);
      if (promptTokens != null) {
        usage(root, promptTokens, completionTokens);
      }
      return new Reply(200, Map.of(), root.toString(), Duration.ZERO, null, Duration.ZERO, null);
    }

    /**
     * A streamed answer: one chunk per piece of text, a chunk with the finish reason, and, when
     * {@code promptTokens} is not null, a last chunk with the usage and no choices (what OpenAI
     * sends for {@code stream_options.include_usage}).
     */
    static Reply stream(
        List<String> pieces, String model, Integer promptTokens, Integer completionTokens) {
      List<String> events = new ArrayList<>();
      for (String piece : pieces) {
        ObjectNode delta = JSON.createObjectNode();
        if (events.isEmpty()) {
          delta.put("role", "assistant");
        }
        delta.put("content", piece);
        events.add(chunk(model, delta, null).toString());
      }
      return streamEnding(events, model, "stop", promptTokens, completionTokens);
    }

    /** A streamed tool call: its id and name first, then its arguments in pieces. */
    static Reply streamToolCall(String model, String id, String name, List<String> arguments) {
      List<String> events = new ArrayList<>();
      ObjectNode first = JSON.createObjectNode();
      first.put("role", "assistant");
      first.putNull("content");
      ObjectNode call = first.putArray("tool_calls").addObject();
      call.put("index", 0).put("id", id).put("type", "function");
      call.putObject("function").put("name", name).put("arguments", "");
      events.add(chunk(model, first, null).toString());
      for (String piece : arguments) {
        ObjectNode delta = JSON.createObjectNode();
        delta
            .putArray("tool_calls")
            .addObject()
            .put("index", 0)
            .putObject("function")
            .put("arguments", piece);
        events.add(chunk(model, delta, null).toString());
      }
      return streamEnding(events, model, "tool_calls", 25, 9);
    }

    private static Reply streamEnding(
        List<String> events,
        String model,
        String finishReason,
        Integer promptTokens,
        Integer completionTokens) {
      events.add(chunk(model, JSON.createObjectNode(), finishReason).toString());
      if (promptTokens != null) {
        ObjectNode last = root(model, "chat.completion.chunk");
        last.putArray("choices");
        usage(last, promptTokens, completionTokens);
        events.add(last.toString());
      }
      return new Reply(
          200, Map.of(), null, Duration.ZERO, List.copyOf(events), Duration.ZERO, null);
    }

    private static ObjectNode chunk(String model, ObjectNode delta, String finishReason) {
      ObjectNode root = root(model, "chat.completion.chunk");
      ObjectNode choice = root.putArray("choices").addObject();
      choice.put("index", 0);
      choice.set("delta", delta);
      if (finishReason == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finishReason);
      }
      return root;
    }

    private static ObjectNode root(String model, String object) {
      ObjectNode root = JSON.createObjectNode();
      root.put("id", "chatcmpl-test");
      root.put("object", object);
      root.put("created", 1_700_000_000L);
      root.put("model", model);
      return root;
    }

    private static void usage(ObjectNode root, int promptTokens, int completionTokens) {
      ObjectNode usage = root.putObject("usage");
      usage.put("prompt_tokens", promptTokens);
      usage.put("completion_tokens", completionTokens);
      usage.put("total_tokens", promptTokens + completionTokens);
    }

    /** An error in OpenAI's shape: {@code {"error": {"message", "type", "param", "code"}}}. */
    static Reply error(int status, String type, String code, String message) {
      ObjectNode root = JSON.createObjectNode();
      ObjectNode error = root.putObject("error");
      error.put("message", message);
      error.put("type", type);
      error.putNull("param");
      error.put("code", code);
      return new Reply(status, Map.of(), root.toString(), Duration.ZERO, null, Duration.ZERO, null);
    }

    Reply withHeader(String name, String value) {
      Map<String, String> all = new java.util.HashMap<>(headers);
      all.put(name, value);
      return new Reply(status, Map.copyOf(all), body, delay, events, gap, hold);
    }

    Reply after(Duration wait) {
      return new Reply(status, headers, body, wait, events, gap, hold);
    }

    /** This stream with {@code wait} between its events. */
    Reply eventsApart(Duration wait) {
      return new Reply(status, headers, body, delay, events, wait, hold);
    }

    /** This stream sending its first event, then waiting for {@code latch} before the rest. */
    Reply heldAfterFirst(CountDownLatch latch) {
      return new Reply(status, headers, body, delay, events, gap, latch);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(daemonThreads());
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger eventsSent = new AtomicInteger();
  private final CountDownLatch clientLeftAStream = new CountDownLatch(1);
  private volatile Function<Received, Reply> handler;

  private FakeOpenAiServer(Function<Received, Reply> handler) throws IOException {
    this.handler = handler;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/v1/chat/completions", this::handle);
    server.start();
  }

  static FakeOpenAiServer start(Function<Received, Reply> handler) {
    try {
      return new FakeOpenAiServer(handler);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The base URL to give an OpenAI client: {@code http://127.0.0.1:PORT/v1}. */
  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  List<Received> received() {
    return List.copyOf(received);
  }

  void answer(Function<Received, Reply> next) {
    handler = next;
  }

  /** Server-sent events written so far, over all streams. */
  int eventsSent() {
    return eventsSent.get();
  }

  /** Waits until a client closed a stream before its end (a write to it failed). */
  boolean awaitClientLeftAStream(Duration deadline) throws InterruptedException {
    return clientLeftAStream.await(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
      Received request = new Received(body, Map.copyOf(exchange.getRequestHeaders()));
      received.add(request);
      Reply reply = handler.apply(request);
      if (!reply.delay().isZero()) {
        try {
          Thread.sleep(reply.delay().toMillis());
        } catch (InterruptedException e) {
          return; // the server is closing
        }
      }
      if (reply.events() != null) {
        sendEvents(exchange, reply);
        return;
      }
      byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
      exchange.sendResponseHeaders(reply.status(), bytes.length);
      exchange.getResponseBody().write(bytes);
    } catch (IOException e) {
      // the client went away (its timeout): nothing to answer
    }
  }

  private void sendEvents(HttpExchange exchange, Reply reply) {
    List<String> events = new ArrayList<>(reply.events());
    events.add("[DONE]");
    try {
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0); // chunked: each flush sends what was written
      OutputStream out = exchange.getResponseBody();
      for (int i = 0; i < events.size(); i++) {
        if (i == 1 && reply.hold() != null) {
          reply.hold().await(10, TimeUnit.SECONDS);
        } else if (i > 0 && !reply.gap().isZero()) {
          Thread.sleep(reply.gap().toMillis());
        }
        out.write(("data: " + events.get(i) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        eventsSent.incrementAndGet();
      }
    } catch (IOException e) {
      clientLeftAStream.countDown();
    } catch (InterruptedException e) {
      // the server is closing
    }
  }

  private static java.util.concurrent.ThreadFactory daemonThreads() {
    return r -> {
      Thread t = new Thread(r, "fake-openai");
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
