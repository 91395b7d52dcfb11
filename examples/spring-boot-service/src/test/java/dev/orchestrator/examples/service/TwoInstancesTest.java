package dev.orchestrator.examples.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.jdbc.PostgresTestDatabase;
import dev.orchestrator.testing.Waits;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two instances of the example service on one PostgreSQL, as a team deploys it: what one creates,
 * the other sees, cancels and retries.
 */
class TwoInstancesTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String tables = PostgresTestDatabase.newPrefix(getClass());
  private final HttpClient http = HttpClient.newHttpClient();
  private ConfigurableApplicationContext a;
  private ConfigurableApplicationContext b;

  @AfterEach
  void stop() {
    for (ConfigurableApplicationContext c : new ConfigurableApplicationContext[] {a, b}) {
      if (c != null) {
        c.close();
      }
    }
    if (a != null) {
      try (HikariDataSource admin = PostgresTestDatabase.dataSource(2)) {
        PostgresTestDatabase.drop(admin, tables);
      }
    }
  }

  private ConfigurableApplicationContext instance(String name) {
    // as command-line arguments, so they win over the service's application.properties
    return new SpringApplicationBuilder(ServiceApplication.class)
        .run(
            "--server.port=0",
            "--ORCHESTRATOR_POSTGRES_URL=" + PostgresTestDatabase.url(),
            "--orchestrator.jdbc.table-prefix=" + tables,
            "--orchestrator.node-id=" + name,
            "--orchestrator.mock.latency=2s", // long enough to cancel a call while it runs
            // a cancel through the other instance reaches the worker at its next heartbeat
            "--orchestrator.worker.heartbeat-interval=300ms",
            "--orchestrator.worker.shutdown-grace=1s");
  }

  private static int port(ConfigurableApplicationContext c) {
    return ((WebServerApplicationContext) c).getWebServer().getPort();
  }

  private JsonNode call(ConfigurableApplicationContext on, String method, String path, String body)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port(on) + "/orchestrator/api" + path))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .timeout(WAIT)
            .build();
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isLessThan(300);
    return JSON.readTree(r.body());
  }

  private String status(ConfigurableApplicationContext on, String id) {
    try {
      return call(on, "GET", "/tasks/" + id, null).path("status").asText();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aTaskCreatedThroughOneIsSeenCancelledAndRetriedThroughTheOther() throws Exception {
    a = instance("instance-a");
    b = instance("instance-b");
    String done = call(a, "POST", "/tasks", "{\"prompt\": \"from a\"}").path("id").asText();
    Waits.until("seen COMPLETED through b", WAIT, () -> "COMPLETED".equals(status(b, done)));
    assertThat(call(b, "GET", "/nodes", null).size()).isEqualTo(2);

    String slow = call(a, "POST", "/tasks", "{\"prompt\": \"a long call\"}").path("id").asText();
    Waits.until("running on one of them", WAIT, () -> "RUNNING".equals(status(b, slow)));
    assertThat(call(b, "POST", "/tasks/" + slow + "/cancel", "{}").path("status").asText())
        .isEqualTo("CANCELLED");
    assertThat(status(a, slow)).isEqualTo("CANCELLED");

    JsonNode retried = call(a, "POST", "/tasks/" + slow + "/retry", "{\"maxAttempts\": 1}");
    assertThat(retried.path("status").asText()).isIn("QUEUED", "RUNNING");
    Waits.until("completed after the retry", WAIT, () -> "COMPLETED".equals(status(b, slow)));
    JsonNode attempts = call(a, "GET", "/tasks/" + slow + "/attempts", null);
    assertThat(attempts.size()).isEqualTo(2);
    assertThat(attempts.get(0).path("outcome").asText()).isEqualTo("CANCELLED");
    assertThat(attempts.get(1).path("outcome").asText()).isEqualTo("SUCCEEDED");
  }
}
