package dev.orchestrator.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orchestrator.testing.Waits;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.boot.test.web.server.LocalServerPort;

/** A client of the REST API over real HTTP against the embedded server, for the API's tests. */
abstract class ApiTestSupport {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();
  static final String API = "/orchestrator/api";

  @LocalServerPort int port;

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Reply(int status, JsonNode body, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + API + path);
  }

  Reply send(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> r =
        http.send(request.timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = r.body().isEmpty() ? null : JSON.readTree(r.body());
    return new Reply(r.statusCode(), body, r);
  }

  Reply get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  Reply post(String path, String json, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  Reply postBytes(String path, byte[] body) throws Exception {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  JsonNode created(String json, String... headers) throws Exception {
    Reply r = post("/tasks", json, headers);
    assertThat(r.status()).as("%s", r.body()).isEqualTo(201);
    return r.body();
  }

  JsonNode awaitStatus(String id, String status, String... headers) {
    return Waits.value(
        "task " + id + " " + status,
        WAIT,
        () -> {
          try {
            Reply r = get("/tasks/" + id, headers);
            return status.equals(r.body().path("status").asText()) ? r.body() : null;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  /** Tasks in every status: other tests' tasks change status, but none appears on its own. */
  long total() throws Exception {
    long n = 0;
    for (JsonNode count : get("/stats").body().path("counts")) {
      n += count.asLong();
    }
    return n;
  }

  static void assertProblem(Reply r, int status, String kind) {
    assertThat(r.status()).as("%s", r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    assertThat(r.body().path("type").asText()).isEqualTo("urn:orchestrator:problem:" + kind);
    assertThat(r.body().path("status").asInt()).isEqualTo(status);
    assertThat(r.body().path("requestId").asText()).isNotBlank();
    assertThat(r.raw().body()).doesNotContain("at dev.orchestrator").doesNotContain("Exception:");
  }
}
