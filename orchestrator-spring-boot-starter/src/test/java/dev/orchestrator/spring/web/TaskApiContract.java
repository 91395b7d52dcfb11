package dev.orchestrator.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.testing.Waits;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The REST API over real HTTP against the embedded server, as a client sees it: every endpoint and
 * every error kind, hostile input included. Subclasses run it on a store of their choice.
 */
abstract class TaskApiContract extends ApiTestSupport {
  // ---- the happy paths ----

  @Test
  void aTaskIsCreatedRunsAndShowsItsAttemptsAndEvents() throws Exception {
    Reply r =
        post(
            "/tasks",
            """
            {"name": "rivers", "prompt": "Name three rivers", "priority": 5, "maxAttempts": 2,
             "timeout": "PT30S", "labels": {"team": "geo"}}""",
            "X-Request-Id",
            "my-request-1");
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.header("X-Request-Id")).isEqualTo("my-request-1");
    String id = r.body().path("id").asText();
    assertThat(r.header("Location")).endsWith(API + "/tasks/" + id);
    assertThat(r.body().path("name").asText()).isEqualTo("rivers");
    assertThat(r.body().path("createdAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    JsonNode done = awaitStatus(id, "COMPLETED");
    assertThat(done.path("output").asText()).startsWith("mock[");
    assertThat(done.path("usage").path("inputTokens").asLong()).isPositive();
    Reply attempts = get("/tasks/" + id + "/attempts");
    assertThat(attempts.body()).hasSize(1);
    assertThat(attempts.body().get(0).path("outcome").asText()).isEqualTo("SUCCEEDED");
    Reply events = get("/tasks/" + id + "/events");
    List<String> path = new ArrayList<>();
    events.body().forEach(e -> path.add(e.path("to").asText()));
    assertThat(path).containsExactly("QUEUED", "RUNNING", "COMPLETED");
    assertThat(get("/tasks/" + id).header("X-Request-Id")).isNotBlank();
  }

  @Test
  void delayedAndTimedTasksWaitScheduled() throws Exception {
    JsonNode delayed = created("{\"prompt\": \"later\", \"delay\": \"PT1H\"}");
    assertThat(delayed.path("status").asText()).isEqualTo("SCHEDULED");
    JsonNode timed = created("{\"prompt\": \"then\", \"runAt\": \"2999-01-01T00:00:00Z\"}");
    assertThat(timed.path("runAt").asText()).isEqualTo("2999-01-01T00:00:00Z");
    assertThat(post("/tasks/" + delayed.path("id").asText() + "/cancel", "").status())
        .isEqualTo(200);
  }

  @Test
  void chainsBatchesTemplatesListsAndLineage() throws Exception {
    String label = "run-" + UUID.randomUUID();
    String parent =
        created(
                "{\"name\": \"draft\", \"prompt\": \"Write a haiku\", \"labels\": {\"run\": \""
                    + label
                    + "\"}}")
            .path("id")
            .asText();
    awaitStatus(parent, "COMPLETED");
    Reply chained =
        post("/tasks/" + parent + "/chain", "{\"prompt\": \"Translate: {{parent.output}}\"}");
    assertThat(chained.status()).isEqualTo(201);
    assertThat(chained.body().path("prompt").asText()).startsWith("Translate: mock[");
    String child = chained.body().path("id").asText();
    awaitStatus(child, "COMPLETED");
    Reply lineage = get("/tasks/" + child + "/lineage");
    assertThat(lineage.body().path("tasks")).hasSize(2);
    assertThat(lineage.body().path("edges").get(0).path("parentId").asText()).isEqualTo(parent);

    Reply batch =
        post(
            "/tasks/batch",
            "{\"tasks\": [{\"prompt\": \"a\", \"labels\": {\"run\": \""
                + label
                + "\"}},"
                + " {\"prompt\": \"b\", \"labels\": {\"run\": \""
                + label
                + "\"}}]}");
    assertThat(batch.status()).isEqualTo(201);
    assertThat(batch.body().path("tasks")).hasSize(2);

    Reply page1 = get("/tasks?label=run=" + label + "&limit=2");
    assertThat(page1.body().path("items")).hasSize(2);
    String next = page1.body().path("next").asText();
    Reply page2 = get("/tasks?label=run=" + label + "&limit=2&after=" + next);
    assertThat(page2.body().path("items")).hasSize(1);
    assertThat(page2.body().path("next").isNull()).isTrue();
    assertThat(get("/tasks?text=haiku&label=run=" + label).body().path("items")).hasSize(1);
    assertThat(get("/tasks?status=COMPLETED&parent=" + parent).body().path("items")).hasSize(1);
    assertThat(get("/tasks?root=" + parent).body().path("items")).hasSize(2);

    Reply templates = get("/templates");
    assertThat(templates.status()).isEqualTo(200);
    assertThat(templates.body().get(0).path("name").asText()).isEqualTo("greet");
    assertThat(templates.body().get(0).path("variables").get(0).asText()).isEqualTo("name");
    Reply fromTemplate = post("/templates/greet/tasks", "{\"variables\": {\"name\": \"Ada\"}}");
    assertThat(fromTemplate.status()).isEqualTo(201);
    assertThat(fromTemplate.body().path("prompt").asText()).isEqualTo("Say hello to Ada");
    assertProblem(post("/templates/greet/tasks", "{}"), 400, "invalid-task");
    assertProblem(post("/templates/nope/tasks", "{}"), 400, "invalid-task");

    Reply nodes = get("/nodes");
    assertThat(nodes.status()).isEqualTo(200);
    assertThat(nodes.body().size()).isPositive();
    assertThat(nodes.body().get(0).path("nodeId").asText()).isNotBlank();
    Reply activity = get("/stats/activity?minutes=10");
    assertThat(activity.body().path("buckets")).hasSize(10);
    long ended = 0;
    for (JsonNode b : activity.body().path("buckets")) {
      ended += b.path("completed").asLong();
    }
    assertThat(ended).isPositive();
    assertProblem(get("/stats/activity?minutes=0"), 400, "bad-request");
    Reply stats = get("/stats");
    assertThat(stats.body().path("counts").path("COMPLETED").asLong()).isPositive();
    assertThat(stats.body().path("usage").isArray()).isTrue();
    Reply health = get("/health");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.body().path("status").asText()).isEqualTo("UP");
  }

  @Test
  void cancelAndRetry() throws Exception {
    String slow = created("{\"type\": \"slow\"}").path("id").asText();
    awaitStatus(slow, "RUNNING");
    Reply cancelled = post("/tasks/" + slow + "/cancel", "{\"reason\": \"not needed\"}");
    assertThat(cancelled.status()).isEqualTo(200);
    assertThat(cancelled.body().path("status").asText()).isEqualTo("CANCELLED");
    assertThat(cancelled.body().path("error").path("message").asText()).isEqualTo("not needed");
    Waits.until(
        "the cancelled attempt is recorded",
        WAIT,
        () -> {
          try {
            JsonNode a = get("/tasks/" + slow + "/attempts").body();
            return a.size() == 1 && "CANCELLED".equals(a.get(0).path("outcome").asText());
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });

    String broken = created("{\"type\": \"broken\", \"maxAttempts\": 1}").path("id").asText();
    JsonNode failed = awaitStatus(broken, "FAILED");
    assertThat(failed.path("error").path("kind").asText()).isEqualTo("INVALID_REQUEST");
    Reply retried = post("/tasks/" + broken + "/retry", "{\"maxAttempts\": 2}");
    assertThat(retried.status()).isEqualTo(200);
    assertThat(retried.body().path("maxAttempts").asInt()).isGreaterThanOrEqualTo(2);
    awaitStatus(broken, "FAILED");
    assertThat(get("/tasks/" + broken + "/attempts").body().size()).isGreaterThanOrEqualTo(2);

    String ok = created("{\"prompt\": \"fine\"}").path("id").asText();
    awaitStatus(ok, "COMPLETED");
    assertProblem(
        post("/tasks/" + ok + "/retry", "{\"maxAttempts\": 1}"), 409, "illegal-transition");
  }

  @Test
  void aConcurrencyKeyIsTakenWithItsLimitOrRefused() throws Exception {
    JsonNode t =
        created(
            "{\"prompt\": \"one per doc\", \"concurrencyKey\": \"doc-7\", \"concurrencyLimit\": 1}");
    assertThat(t.path("concurrencyKey").asText()).isEqualTo("doc-7");
    assertThat(t.path("concurrencyLimit").asInt()).isEqualTo(1);
    awaitStatus(t.path("id").asText(), "COMPLETED");
    assertProblem(
        post("/tasks", "{\"prompt\": \"x\", \"concurrencyKey\": \"doc-7\"}"), 400, "invalid-task");
    assertProblem(
        post("/tasks", "{\"prompt\": \"x\", \"concurrencyKey\": \"k\", \"concurrencyLimit\": 0}"),
        400,
        "invalid-task");
  }

  @Test
  void pauseAndResumeATaskAndATypeAndInBulk() throws Exception {
    String run = "pause-" + UUID.randomUUID();
    String held =
        created(
                "{\"prompt\": \"held\", \"delay\": \"PT0.2S\", \"labels\": {\"run\": \""
                    + run
                    + "\"}}")
            .path("id")
            .asText();
    Reply paused = post("/tasks/" + held + "/pause", "");
    assertThat(paused.status()).isEqualTo(200);
    assertThat(paused.body().path("paused").asBoolean()).isTrue();
    String other = created("{\"prompt\": \"runs\", \"delay\": \"PT0.3S\"}").path("id").asText();
    awaitStatus(other, "COMPLETED");
    JsonNode stillHeld = get("/tasks/" + held).body();
    assertThat(stillHeld.path("status").asText()).isEqualTo("QUEUED");
    assertThat(stillHeld.path("attempt").asInt()).isZero();
    assertBulk(
        post("/tasks/bulk", bulk("resume", "{\"label\": \"run=" + run + "\"}", null)), 1, 1, 0);
    awaitStatus(held, "COMPLETED");
    assertProblem(post("/tasks/" + held + "/pause", ""), 409, "illegal-transition");

    String type = "slow";
    Reply typePaused = post("/types/" + type + "/pause", "");
    assertThat(typePaused.status()).isEqualTo(200);
    assertThat(typePaused.body().path("changed").asBoolean()).isTrue();
    try {
      assertThat(get("/types/paused").body().toString()).contains(type);
      String waiting = created("{\"type\": \"slow\"}").path("id").asText();
      String runs = created("{\"prompt\": \"not paused\"}").path("id").asText();
      awaitStatus(runs, "COMPLETED");
      assertThat(get("/tasks/" + waiting).body().path("status").asText()).isEqualTo("QUEUED");
      assertThat(post("/types/" + type + "/resume", "").body().path("changed").asBoolean())
          .isTrue();
      awaitStatus(waiting, "RUNNING");
      post("/tasks/" + waiting + "/cancel", "");
    } finally {
      post("/types/" + type + "/resume", "");
    }
  }

  @Test
  void aRepeatedIdempotencyKeyReturnsTheTaskOrAConflict() throws Exception {
    String key = "key-" + UUID.randomUUID();
    Reply first = post("/tasks", "{\"prompt\": \"once\", \"idempotencyKey\": \"" + key + "\"}");
    assertThat(first.status()).isEqualTo(201);
    Reply again = post("/tasks", "{\"prompt\": \"once\", \"idempotencyKey\": \"" + key + "\"}");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.body().path("id").asText()).isEqualTo(first.body().path("id").asText());
    assertProblem(
        post("/tasks", "{\"prompt\": \"something else\", \"idempotencyKey\": \"" + key + "\"}"),
        409,
        "idempotency-conflict");
  }

  // ---- bulk actions ----

  private static String bulk(String action, String filter, String extra) {
    return "{\"action\": \""
        + action
        + "\", \"filter\": "
        + filter
        + (extra == null ? "" : ", " + extra)
        + "}";
  }

  private static void assertBulk(Reply r, int matched, int changed, int skipped) {
    assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
    assertThat(r.body().path("matched").asInt()).as("matched %s", r.body()).isEqualTo(matched);
    assertThat(r.body().path("changed").asInt()).as("changed %s", r.body()).isEqualTo(changed);
    assertThat(r.body().path("skipped").asInt()).as("skipped %s", r.body()).isEqualTo(skipped);
  }

  @Test
  void bulkActionsRetryAndCancelEveryTaskTheFilterMatches() throws Exception {
    String run = "bulk-" + UUID.randomUUID();
    String labels = "\"labels\": {\"run\": \"" + run + "\"}";
    List<String> broken = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      broken.add(
          created("{\"type\": \"broken\", \"maxAttempts\": 1, " + labels + "}")
              .path("id")
              .asText());
    }
    List<String> slow = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      slow.add(created("{\"type\": \"slow\", " + labels + "}").path("id").asText());
    }
    String later =
        created("{\"prompt\": \"later\", \"delay\": \"PT1H\", " + labels + "}").path("id").asText();
    for (String id : broken) {
      awaitStatus(id, "FAILED");
    }
    for (String id : slow) {
      awaitStatus(id, "RUNNING");
    }
    assertThat(get("/tasks?type=broken&label=run=" + run).body().path("items")).hasSize(3);
    assertThat(get("/tasks?type=slow&status=RUNNING&label=run=" + run).body().path("items"))
        .hasSize(2);
    assertThat(get("/tasks?type=nothing-of-the-kind&label=run=" + run).body().path("items"))
        .isEmpty();

    // refused before anything changes
    String ours = "{\"label\": \"run=" + run + "\"}";
    assertProblem(post("/tasks/bulk", bulk("explode", ours, null)), 400, "bad-request");
    assertProblem(post("/tasks/bulk", "{\"filter\": " + ours + "}"), 400, "bad-request");
    assertProblem(post("/tasks/bulk", "{\"action\": \"cancel\"}"), 400, "bad-request");
    assertProblem(post("/tasks/bulk", ""), 400, "bad-request");
    assertProblem(post("/tasks/bulk", "{\"action\": \"cancel\", "), 400, "bad-request");
    assertProblem(
        post("/tasks/bulk", bulk("cancel", "{\"colour\": \"red\"}", null)), 400, "bad-request");
    assertProblem(
        post("/tasks/bulk", bulk("cancel", "{\"status\": \"BOGUS\"}", null)), 400, "bad-request");
    assertProblem(
        post("/tasks/bulk", bulk("cancel", "{\"root\": \"not-a-uuid\"}", null)),
        400,
        "bad-request");
    assertProblem(post("/tasks/bulk", bulk("cancel", ours, "\"attempts\": 2")), 400, "bad-request");
    assertProblem(
        post("/tasks/bulk", bulk("retry", ours, "\"reason\": \"why\"")), 400, "bad-request");
    Reply noBudget = post("/tasks/bulk", bulk("retry", ours, "\"attempts\": 0"));
    assertProblem(noBudget, 400, "invalid-task");
    assertThat(noBudget.body().path("problem").asText()).isEqualTo("BAD_RETRY");
    for (String id : broken) {
      assertThat(get("/tasks/" + id).body().path("status").asText()).isEqualTo("FAILED");
    }
    for (String id : slow) {
      assertThat(get("/tasks/" + id).body().path("status").asText()).isEqualTo("RUNNING");
    }

    Reply retried =
        post(
            "/tasks/bulk",
            bulk(
                "RETRY",
                "{\"status\": [\"FAILED\"], \"type\": \"broken\", \"label\": \"run=" + run + "\"}",
                "\"attempts\": 1"));
    assertBulk(retried, 3, 3, 0);
    for (String id : broken) {
      Waits.until(
          "the retried task ran again and failed",
          WAIT,
          () -> {
            try {
              return get("/tasks/" + id + "/attempts").body().size() == 2
                  && "FAILED".equals(get("/tasks/" + id).body().path("status").asText());
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }

    // the failed ones are matched and skipped; the running and the scheduled ones are cancelled
    assertBulk(
        post("/tasks/bulk", bulk("cancel", ours, "\"reason\": \"clearing the run\"")), 6, 3, 3);
    for (String id : slow) {
      JsonNode t = get("/tasks/" + id).body();
      assertThat(t.path("status").asText()).isEqualTo("CANCELLED");
      assertThat(t.path("error").path("message").asText()).isEqualTo("clearing the run");
    }
    assertThat(get("/tasks/" + later).body().path("status").asText()).isEqualTo("CANCELLED");
    for (String id : broken) {
      assertThat(get("/tasks/" + id).body().path("status").asText()).isEqualTo("FAILED");
    }
  }

  @Test
  void aBulkActionSeesOnlyTheRequestsOwnersTasks() throws Exception {
    String run = "bulk-owner-" + UUID.randomUUID();
    String labels = "\"labels\": {\"run\": \"" + run + "\"}";
    String alices =
        created(
                "{\"prompt\": \"later\", \"delay\": \"PT1H\", " + labels + "}",
                "X-User-Id",
                "alice")
            .path("id")
            .asText();
    String ours = "{\"label\": \"run=" + run + "\"}";
    assertBulk(post("/tasks/bulk", bulk("cancel", ours, null), "X-User-Id", "bob"), 0, 0, 0);
    assertBulk(
        post(
            "/tasks/bulk",
            bulk("cancel", "{\"owner\": \"alice\", \"label\": \"run=" + run + "\"}", null),
            "X-User-Id",
            "bob"),
        0,
        0,
        0);
    assertThat(get("/tasks/" + alices).body().path("status").asText()).isEqualTo("SCHEDULED");
    assertBulk(
        post(
            "/tasks/bulk",
            bulk("cancel", "{\"owner\": \"bob\", \"label\": \"run=" + run + "\"}", null)),
        0,
        0,
        0);
    assertBulk(post("/tasks/bulk", bulk("cancel", ours, null), "X-User-Id", "alice"), 1, 1, 0);
    JsonNode cancelled = get("/tasks/" + alices).body();
    assertThat(cancelled.path("status").asText()).isEqualTo("CANCELLED");
    assertThat(cancelled.path("error").path("message").asText())
        .isEqualTo("cancelled in bulk through the API");
    assertProblem(
        post("/tasks/bulk", bulk("cancel", ours, null), "X-User-Id", "-"), 401, "owner-required");
  }

  // ---- owners ----

  @Test
  void anotherOwnersTaskIsNotFound() throws Exception {
    String alices = created("{\"prompt\": \"mine\"}", "X-User-Id", "alice").path("id").asText();
    assertThat(get("/tasks/" + alices, "X-User-Id", "alice").status()).isEqualTo(200);
    assertProblem(get("/tasks/" + alices, "X-User-Id", "bob"), 404, "not-found");
    assertProblem(get("/tasks/" + alices + "/events", "X-User-Id", "bob"), 404, "not-found");
    assertProblem(post("/tasks/" + alices + "/cancel", "", "X-User-Id", "bob"), 404, "not-found");
    assertProblem(post("/tasks/" + alices + "/chain", "{}", "X-User-Id", "bob"), 404, "not-found");
    JsonNode byOwner = get("/tasks?owner=alice&limit=200").body().path("items");
    assertThat(byOwner.size()).isPositive();
    byOwner.forEach(t -> assertThat(t.path("owner").asText()).isEqualTo("alice"));
    assertThat(get("/tasks?owner=alice", "X-User-Id", "bob").body().path("items")).isEmpty();
    JsonNode bobs = get("/tasks?limit=200", "X-User-Id", "bob").body().path("items");
    bobs.forEach(t -> assertThat(t.path("id").asText()).isNotEqualTo(alices));
    assertThat(
            post(
                    "/tasks",
                    "{\"prompt\": \"x\", \"dependsOn\": [\"" + alices + "\"]}",
                    "X-User-Id",
                    "bob")
                .body()
                .path("problem")
                .asText())
        .isEqualTo("UNKNOWN_PARENT");
    assertThat(get("/stats", "X-User-Id", "carol").body().path("counts").size()).isZero();
    assertProblem(get("/tasks", "X-User-Id", "-"), 401, "owner-required");
  }

  // ---- every error kind, hostile input ----

  @Test
  void badInputGetsA400ProblemAndWritesNothing() throws Exception {
    long before = total();
    assertProblem(post("/tasks", "{\"prompt\": "), 400, "bad-request");
    assertProblem(post("/tasks", "[1, 2]"), 400, "bad-request");
    assertProblem(post("/tasks", "null"), 400, "bad-request");
    assertProblem(post("/tasks", ""), 400, "bad-request");
    assertProblem(post("/tasks", "{\"prompt\": \"x\", \"colour\": \"red\"}"), 400, "bad-request");
    assertProblem(
        post("/tasks", "{\"prompt\": \"x\", \"priority\": \"high\"}"), 400, "bad-request");
    assertProblem(post("/tasks", "{\"prompt\": \"x\", \"priority\": 1.5}"), 400, "bad-request");
    assertProblem(post("/tasks", "{\"prompt\": \"x\", \"prompt\": \"y\"}"), 400, "bad-request");
    assertProblem(post("/tasks", "{\"prompt\": \"x\", \"delay\": \"soon\"}"), 400, "bad-request");
    assertProblem(post("/tasks", "{\"prompt\": \"x\"} trailing"), 400, "bad-request");
    assertProblem(
        post("/tasks", "{\"prompt\": \"x\", \"dependsOn\": [\"nope\"]}"), 400, "bad-request");
    byte[] invalidUtf8 = {
      '{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, '"', '}'
    };
    Reply utf8 = postBytes("/tasks", invalidUtf8);
    assertProblem(utf8, 400, "bad-request");
    assertThat(utf8.body().path("detail").asText()).contains("UTF-8");
    byte[] huge = new byte[10 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) 'a');
    Reply tooBig = postBytes("/tasks", huge);
    assertProblem(tooBig, 400, "bad-request");
    assertThat(tooBig.body().path("detail").asText()).contains("larger than");

    Reply empty = post("/tasks", "{}");
    assertProblem(empty, 400, "invalid-task");
    assertThat(empty.body().path("problem").asText()).isEqualTo("EMPTY_PROMPT");
    Reply range = post("/tasks", "{\"prompt\": \"x\", \"maxAttempts\": 0}");
    assertThat(range.body().path("problem").asText()).isEqualTo("MAX_ATTEMPTS_OUT_OF_RANGE");
    Reply far = post("/tasks", "{\"prompt\": \"x\", \"runAt\": \"+100000-01-01T00:00:00Z\"}");
    assertProblem(far, 400, "invalid-task");
    assertThat(far.body().path("problem").asText()).isEqualTo("RUN_AT_OUT_OF_RANGE");
    Reply batch =
        post("/tasks/batch", "{\"tasks\": [{\"prompt\": \"ok\"}, {\"prompt\": \"ok\"}, {}]}");
    assertProblem(batch, 400, "invalid-task");
    assertThat(batch.body().path("index").asInt()).isEqualTo(2);
    assertProblem(post("/tasks/batch", "{\"tasks\": []}"), 400, "invalid-task");

    assertProblem(get("/tasks?status=BOGUS"), 400, "bad-request");
    assertProblem(get("/tasks?limit=-1"), 400, "bad-request");
    assertProblem(get("/tasks?limit=100000"), 400, "bad-request");
    assertProblem(get("/tasks?after=not-a-uuid"), 400, "bad-request");
    assertProblem(get("/tasks/not-a-uuid"), 400, "bad-request");
    assertProblem(get("/tasks/" + UUID.randomUUID()), 404, "not-found");
    assertProblem(post("/tasks/" + UUID.randomUUID() + "/cancel", ""), 404, "not-found");
    assertProblem(
        post("/tasks/" + UUID.randomUUID() + "/retry", "{\"maxAttempts\": \"x\"}"),
        400,
        "bad-request");
    assertProblem(get("/events?after=not-a-position"), 400, "bad-request");

    assertThat(total()).as("nothing written").isEqualTo(before);
  }

  @Test
  void aRequestIdIsGeneratedWhenTheCallersIsMissingOrInsane() throws Exception {
    Reply none = get("/tasks/" + UUID.randomUUID());
    assertThat(none.header("X-Request-Id")).isNotBlank();
    assertThat(none.body().path("requestId").asText()).isEqualTo(none.header("X-Request-Id"));
    Reply insane = get("/tasks/" + UUID.randomUUID(), "X-Request-Id", "a b\tc<script>");
    assertThat(insane.header("X-Request-Id")).isNotEqualTo("a b\tc<script>");
  }

  // ---- the event stream ----

  /** Reads server-sent events into a list until the stream ends or the client stops it. */
  static final class SseReader implements AutoCloseable {
    final List<Map<String, String>> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final CompletableFuture<HttpResponse<java.io.InputStream>> response;
    private volatile java.io.InputStream body;
    private final Thread reader;

    SseReader(HttpClient http, URI uri, String lastEventId) {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
      if (lastEventId != null) {
        b.header("Last-Event-ID", lastEventId);
      }
      response = http.sendAsync(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
      reader =
          new Thread(
              () -> {
                try {
                  body = response.get(WAIT.toSeconds(), TimeUnit.SECONDS).body();
                  BufferedReader lines =
                      new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
                  Map<String, String> event = new java.util.HashMap<>();
                  String line;
                  while ((line = lines.readLine()) != null) {
                    if (line.isEmpty()) {
                      if (event.containsKey("data")) {
                        events.add(Map.copyOf(event));
                      }
                      event.clear();
                    } else if (!line.startsWith(":")) {
                      int colon = line.indexOf(':');
                      event.put(line.substring(0, colon), line.substring(colon + 1).strip());
                    }
                  }
                } catch (Exception e) {
                  // closed by the test
                }
              },
              "sse-reader");
      reader.start();
    }

    int status() throws Exception {
      return response.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode();
    }

    @Override
    public void close() throws Exception {
      java.io.InputStream b = body;
      if (b != null) {
        b.close();
      }
      reader.interrupt();
    }
  }

  @Test
  void theEventStreamResumesAfterTheLastEventIdWithNothingMissedOrRepeated() throws Exception {
    String root = created("{\"name\": \"root\", \"prompt\": \"stream me\"}").path("id").asText();
    List<Map<String, String>> first;
    try (SseReader sse =
        new SseReader(http, uri("/events?rootId=" + root + "&after=" + startOfFeed()), null)) {
      Waits.until(
          "the root's completion streamed",
          WAIT,
          () -> sse.events.stream().anyMatch(e -> e.get("data").contains("\"to\":\"COMPLETED\"")));
      first = List.copyOf(sse.events);
    }
    // more happens while the client is away
    String child = post("/tasks/" + root + "/chain", "{}").body().path("id").asText();
    awaitStatus(child, "COMPLETED");
    String lastSeen = first.get(first.size() - 1).get("id");
    try (SseReader resumed = new SseReader(http, uri("/events?rootId=" + root), lastSeen)) {
      assertThat(resumed.status()).isEqualTo(200);
      Waits.until(
          "the child's events streamed after the reconnect",
          WAIT,
          () ->
              resumed.events.stream()
                  .anyMatch(
                      e ->
                          e.get("data").contains(child)
                              && e.get("data").contains("\"to\":\"COMPLETED\"")));
      List<String> ids = new ArrayList<>();
      first.forEach(e -> ids.add(e.get("id")));
      resumed.events.forEach(e -> ids.add(e.get("id")));
      assertThat(ids).doesNotHaveDuplicates();
      List<String> streamed = new ArrayList<>();
      first.forEach(e -> streamed.add(e.get("data")));
      resumed.events.forEach(e -> streamed.add(e.get("data")));
      for (String id : List.of(root, child)) {
        long stored = get("/tasks/" + id + "/events").body().size();
        assertThat(streamed.stream().filter(d -> d.contains("\"taskId\":\"" + id + "\"")).count())
            .as("every event of %s once", id)
            .isEqualTo(stored);
      }
      assertThat(resumed.events).allMatch(e -> "task".equals(e.get("event")));
    }
  }

  /** The position before every event this store kept: a stream from the beginning. */
  abstract String startOfFeed();

  @Test
  void aStreamOfAnotherOwnersTaskIsNotFound() throws Exception {
    String alices = created("{\"prompt\": \"mine\"}", "X-User-Id", "alice").path("id").asText();
    assertProblem(get("/events?taskId=" + alices, "X-User-Id", "bob"), 404, "not-found");
  }
}
