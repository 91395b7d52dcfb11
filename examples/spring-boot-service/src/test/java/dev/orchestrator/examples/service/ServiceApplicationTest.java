package dev.orchestrator.examples.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The example service as a newcomer meets it: the API, the docs page, Actuator health, and a run of
 * its demo pipeline.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceApplicationTest {
  @LocalServerPort int port;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aTaskSubmittedOverHttpCompletesAndEverythingIsServed() throws Exception {
    HttpResponse<String> created =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/orchestrator/api/tasks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Name three rivers\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).isEqualTo(201);
    String id = json.readTree(created.body()).path("id").asText();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    JsonNode task;
    do {
      task = json.readTree(get("/orchestrator/api/tasks/" + id).body());
      Thread.sleep(20);
    } while (!"COMPLETED".equals(task.path("status").asText()) && Instant.now().isBefore(deadline));
    assertThat(task.path("status").asText()).isEqualTo("COMPLETED");

    assertThat(get("/docs.html").statusCode()).isEqualTo(200);
    assertThat(get("/webjars/swagger-ui/swagger-ui-bundle.js").statusCode()).isEqualTo(200);
    assertThat(get("/orchestrator/api/openapi.json").statusCode()).isEqualTo(200);
    HttpResponse<String> health = get("/actuator/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(
            json.readTree(health.body())
                .path("components")
                .path("orchestrator")
                .path("status")
                .asText())
        .isEqualTo("UP");
  }

  @Test
  void theDemoPipelineRunsOverHttpToAnUpdateThatNamesTheRisks() throws Exception {
    HttpResponse<String> started =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + port
                            + "/orchestrator/api/pipelines/weekly-update/runs"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"goal\": \"Weekly update\", \"context\": {\"project\": \"borealis\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
    String id = json.readTree(started.body()).path("id").asText();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    JsonNode run;
    do {
      Thread.sleep(50);
      run = json.readTree(get("/orchestrator/api/runs/" + id).body());
    } while (!"COMPLETED".equals(run.path("status").asText()) && Instant.now().isBefore(deadline));
    assertThat(run.path("status").asText()).as("%s", run).isEqualTo("COMPLETED");
    assertThat(run.path("totalSteps").asInt()).isEqualTo(4);
    assertThat(run.path("result").asText()).startsWith("mock[").contains("risks");
    assertThat(run.path("steps").get(2).path("result").path("output").asText())
        .isEqualTo("risk BOR-7 (high): Nightly export misses the last hour");
    assertThat(run.path("plan").path("steps").get(0).path("arguments").path("project").asText())
        .isEqualTo("borealis");
  }
}
