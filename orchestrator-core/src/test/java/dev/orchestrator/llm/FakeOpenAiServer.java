package dev.orchestrator.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A tiny OpenAI-format chat completions server on 127.0.0.1, for tests: each request is answered by
 * a function of the request. Only {@code POST /v1/chat/completions} is served.
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

  /** One answer: a status, headers, a JSON body, and a delay before it is sent. */
  record Reply(int status, Map<String, String> headers, String body, Duration delay) {
    static Reply ok(String text, String model, Integer promptTokens, Integer completionTokens) {
      return completion(text, model, "stop", promptTokens, completionTokens);
    }

    static Reply completion(
        String text,
        String model,
        String finishReason,
        Integer promptTokens,
        Integer completionTokens) {
      ObjectNode root = JSON.createObjectNode();
      root.put("id", "chatcmpl-test");
      root.put("object", "chat.completion");
      root.put("created", 1_700_000_000L);
      root.put("model", model);
      ObjectNode choice = root.putArray("choices").addObject();
      choice.put("index", 0);
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      if (text == null) {
        message.putNull("content");
      } else {
        message.put("content", text);
      }
      choice.put("finish_reason", finishReason);
      if (promptTokens != null) {
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
      }
      return new Reply(200, Map.of(), root.toString(), Duration.ZERO);
    }

    /** An error in OpenAI's shape: {@code {"error": {"message", "type", "param", "code"}}}. */
    static Reply error(int status, String type, String code, String message) {
      ObjectNode root = JSON.createObjectNode();
      ObjectNode error = root.putObject("error");
      error.put("message", message);
      error.put("type", type);
      error.putNull("param");
      error.put("code", code);
      return new Reply(status, Map.of(), root.toString(), Duration.ZERO);
    }

    Reply withHeader(String name, String value) {
      Map<String, String> all = new java.util.HashMap<>(headers);
      all.put(name, value);
      return new Reply(status, Map.copyOf(all), body, delay);
    }

    Reply after(Duration wait) {
      return new Reply(status, headers, body, wait);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(daemonThreads());
  private final List<Received> received = new CopyOnWriteArrayList<>();
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
      byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
      exchange.sendResponseHeaders(reply.status(), bytes.length);
      exchange.getResponseBody().write(bytes);
    } catch (IOException e) {
      // the client went away (its timeout): nothing to answer
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
