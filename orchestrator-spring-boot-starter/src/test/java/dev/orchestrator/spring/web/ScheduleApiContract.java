package dev.orchestrator.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.testing.Waits;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The schedules endpoints over real HTTP: create, list, read with recent tasks, replace, remove,
 * and every problem they answer. Subclasses run it on a store of their choice.
 */
abstract class ScheduleApiContract extends ApiTestSupport {
  Reply put(String path, String json, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  Reply delete(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).DELETE();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  static String unique(String base) {
    return base + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static String path(String name) {
    return "/schedules/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Test
  void aScheduleIsCreatedFiresEverySecondIsReplacedAndRemoved() throws Exception {
    String name = unique("ticks");
    Reply created =
        put(
            path(name),
            """
            {"every": "PT1S", "misfire": "SKIP",
             "task": {"prompt": "tick", "name": "tick", "labels": {"team": "ops"},
                      "maxAttempts": 2, "timeout": "PT30S"}}""");
    assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
    assertThat(created.header("Location")).endsWith(API + path(name));
    JsonNode s = created.body();
    assertThat(s.path("name").asText()).isEqualTo(name);
    assertThat(s.path("description").asText()).isEqualTo("every PT1S");
    assertThat(s.path("every").asText()).isEqualTo("PT1S");
    assertThat(s.path("misfire").asText()).isEqualTo("SKIP");
    assertThat(s.path("owner").asText()).isEqualTo("default");
    assertThat(s.path("version").asLong()).isEqualTo(1);
    assertThat(Instant.parse(s.path("nextFire").asText()))
        .isAfter(Instant.parse(s.path("since").asText()));
    assertThat(s.path("task").path("prompt").asText()).isEqualTo("tick");
    assertThat(s.path("task").path("labels").path("team").asText()).isEqualTo("ops");
    assertThat(s.path("task").path("timeout").asText()).isEqualTo("PT30S");
    assertThat(s.path("recentTasks")).isEmpty();

    // its tasks appear, one per second, and complete
    JsonNode fired =
        Waits.value(
            "two completed tasks of " + name,
            WAIT,
            () -> {
              try {
                JsonNode body = get(path(name) + "?recent=5").body();
                List<JsonNode> done = new ArrayList<>();
                body.path("recentTasks")
                    .forEach(
                        t -> {
                          if (t.path("status").asText().equals("COMPLETED")) {
                            done.add(t);
                          }
                        });
                return done.size() >= 2 ? body : null;
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            });
    JsonNode newest = fired.path("recentTasks").get(0);
    assertThat(fired.path("lastFire").asText()).isEqualTo(newest.path("scheduledFor").asText());
    JsonNode task = get("/tasks/" + newest.path("id").asText()).body();
    assertThat(task.path("labels").path("schedule").asText()).isEqualTo(name);
    assertThat(task.path("labels").path("scheduledFor").asText())
        .isEqualTo(newest.path("scheduledFor").asText());
    assertThat(task.path("idempotencyKey").asText())
        .isEqualTo("schedule:" + name + ":" + newest.path("scheduledFor").asText());
    assertThat(task.path("maxAttempts").asInt()).isEqualTo(2);
    assertThat(get("/tasks?label=schedule=" + name).body().path("items").size())
        .isGreaterThanOrEqualTo(2);

    Reply list = get("/schedules?recent=0");
    assertThat(list.status()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    list.body().forEach(x -> names.add(x.path("name").asText()));
    assertThat(names).contains(name);

    // replaced with a cron: 200, a new recurrence
    Reply replaced =
        put(
            path(name),
            """
            {"cron": "0 9 * * MON-FRI", "zone": "Europe/Berlin",
             "task": {"prompt": "weekday digest", "model": "gpt-x"}}""");
    assertThat(replaced.status()).as("%s", replaced.body()).isEqualTo(200);
    assertThat(replaced.body().path("description").asText())
        .isEqualTo("cron 0 9 * * MON-FRI Europe/Berlin");
    assertThat(replaced.body().path("zone").asText()).isEqualTo("Europe/Berlin");
    assertThat(replaced.body().path("misfire").asText()).isEqualTo("RUN_ONCE");
    assertThat(replaced.body().path("version").asLong()).isGreaterThan(1);
    assertThat(replaced.body().path("task").path("model").asText()).isEqualTo("gpt-x");
    assertThat(Instant.parse(replaced.body().path("since").asText()))
        .isAfter(Instant.parse(s.path("since").asText()));

    Reply removed = delete(path(name));
    assertThat(removed.status()).isEqualTo(204);
    assertProblem(get(path(name)), 404, "not-found");
    assertProblem(delete(path(name)), 404, "not-found");
    // its tasks stay
    assertThat(get("/tasks?label=schedule=" + name).body().path("items").size())
        .isGreaterThanOrEqualTo(2);
  }

  @Test
  void badSchedulesAreRefusedWithProblemsAndWriteNothing() throws Exception {
    String name = unique("bad");
    String task = "\"task\": {\"prompt\": \"p\"}";
    for (String body :
        List.of(
            "{\"cron\": \"61 * * * *\", " + task + "}",
            "{\"cron\": \"0 0 30 2 *\", " + task + "}",
            "{" + task + "}",
            "{\"cron\": \"* * * * *\", \"every\": \"PT1S\", " + task + "}",
            "{\"cron\": \"* * * * *\", \"zone\": \"Mars/Olympus\", " + task + "}",
            "{\"every\": \"PT1S\", \"zone\": \"UTC\", " + task + "}",
            "{\"cron\": \"* * * * *\", \"anchor\": \"2026-01-01T00:00:00Z\", " + task + "}",
            "{\"every\": \"PT0.5S\", " + task + "}",
            "{\"every\": \"PT1S\", \"misfire\": \"LATER\", " + task + "}")) {
      Reply r = put(path(name), body);
      assertProblem(r, 400, "invalid-schedule");
      assertThat(r.body().path("detail").asText()).as(body).isNotBlank();
    }
    assertProblem(
        put(path("x".repeat(151)), "{\"every\": \"PT1S\", " + task + "}"), 400, "invalid-schedule");
    assertThat(
            put(path(name), "{\"cron\": \"61 * * * *\", " + task + "}")
                .body()
                .path("detail")
                .asText())
        .contains("minute field: 61 is out of range 0-59");

    Reply noTask = put(path(name), "{\"every\": \"PT1S\"}");
    assertProblem(noTask, 400, "invalid-task");
    Reply empty = put(path(name), "{\"every\": \"PT1S\", \"task\": {}}");
    assertProblem(empty, 400, "invalid-task");
    assertThat(empty.body().path("problem").asText()).isEqualTo("EMPTY_PROMPT");
    Reply fixed =
        put(
            path(name),
            "{\"every\": \"PT1S\", \"task\": {\"prompt\": \"p\", \"runAt\": \"2030-01-01T00:00:00Z\"}}");
    assertProblem(fixed, 400, "invalid-task");
    assertThat(fixed.body().path("problem").asText()).isEqualTo("BAD_FIELD");
    Reply type = put(path(name), "{\"every\": \"PT1S\", \"task\": {\"type\": \"nope\"}}");
    assertThat(type.body().path("problem").asText()).isEqualTo("UNKNOWN_TYPE");

    assertProblem(put(path(name), "{\"every\": \"soon\", " + task + "}"), 400, "bad-request");
    assertProblem(
        put(path(name), "{\"every\": \"PT1S\", \"when\": 1, " + task + "}"), 400, "bad-request");
    assertProblem(put(path(name), ""), 400, "bad-request");
    assertProblem(get("/schedules?recent=101"), 400, "bad-request");
    assertProblem(get(path(name)), 404, "not-found");
  }

  @Test
  void aRequestScopedToAnOwnerIsRefused() throws Exception {
    String name = unique("owned");
    String body = "{\"every\": \"PT1H\", \"task\": {\"prompt\": \"p\"}}";
    assertProblem(get("/schedules", "X-User-Id", "alice"), 403, "forbidden");
    assertProblem(put(path(name), body, "X-User-Id", "alice"), 403, "forbidden");
    assertProblem(put(path(name), body, "X-User-Id", "-"), 401, "owner-required");
    assertProblem(get(path(name)), 404, "not-found");
    // an operator may name the owner of the schedule's tasks
    Reply created =
        put(
            path(name),
            "{\"every\": \"PT1H\", \"owner\": \"alice\", \"task\": {\"prompt\": \"p\"}}");
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.body().path("owner").asText()).isEqualTo("alice");
    assertProblem(get(path(name), "X-User-Id", "alice"), 403, "forbidden");
    assertProblem(delete(path(name), "X-User-Id", "alice"), 403, "forbidden");
    assertThat(delete(path(name)).status()).isEqualTo(204);
  }
}
