package dev.orchestrator.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.testing.Waits;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The pipeline endpoints over real HTTP against the embedded server ({@link ApiTestApplication}'s
 * pipelines "lookup" and "held"): the pipelines and tools, a run started, read with its artifacts
 * and trace, paused, resumed, cancelled and rerun from a step, and every problem they answer.
 * Subclasses run it on a store of their choice.
 */
abstract class PipelineApiContract extends ApiTestSupport {
  JsonNode started(String pipeline, String json) throws Exception {
    Reply r = post("/pipelines/" + pipeline + "/runs", json);
    assertThat(r.status()).as("%s", r.body()).isEqualTo(201);
    return r.body();
  }

  /** The run once {@code done} holds for it, read with the given request headers. */
  JsonNode awaitRun(String id, String what, Predicate<JsonNode> done, String... headers) {
    return Waits.value(
        "run " + id + " " + what,
        WAIT,
        () -> {
          try {
            JsonNode run = get("/runs/" + id, headers).body();
            return done.test(run) ? run : null;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  JsonNode awaitRunStatus(String id, String status, String... headers) {
    return awaitRun(id, status, r -> status.equals(r.path("status").asText()), headers);
  }

  String completedLookupRun(String key) throws Exception {
    String id =
        started("lookup", "{\"goal\": \"Join a and b\", \"context\": {\"key\": \"" + key + "\"}}")
            .path("id")
            .asText();
    awaitRunStatus(id, "COMPLETED");
    return id;
  }

  static JsonNode step(JsonNode run, String id) {
    for (JsonNode s : run.path("steps")) {
      if (id.equals(s.path("id").asText())) {
        return s;
      }
    }
    throw new AssertionError("no step " + id + " in " + run);
  }

  // ---- the happy paths ----

  @Test
  void thePipelinesAndToolsAreListedWithTheirSchemasAndOptions() throws Exception {
    Reply r = get("/pipelines");
    assertThat(r.status()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    r.body().forEach(p -> names.add(p.path("name").asText()));
    assertThat(names).containsExactly("approval", "held", "lookup");
    JsonNode lookup = r.body().get(2);
    JsonNode tool = lookup.path("tools").get(0);
    assertThat(tool.path("name").asText()).isEqualTo("lookup");
    assertThat(tool.path("description").asText()).isEqualTo("Looks a key up");
    assertThat(tool.path("parameters").path("required").get(0).asText()).isEqualTo("key");
    assertThat(tool.path("timeout").asText()).isEqualTo("PT1M");
    assertThat(tool.path("maxAttempts").asInt()).isEqualTo(2);
    assertThat(lookup.path("options").path("maxSteps").asInt()).isEqualTo(20);
    assertThat(lookup.path("options").path("planTimeout").asText()).isEqualTo("PT2M");
    assertThat(lookup.path("options").path("failFast").asBoolean()).isTrue();

    Reply tools = get("/tools");
    assertThat(tools.status()).isEqualTo(200);
    assertThat(tools.body()).hasSize(2);
    assertThat(tools.body().get(0).path("name").asText()).isEqualTo("hold");
    assertThat(tools.body().get(0).path("pipelines").toString()).isEqualTo("[\"held\"]");
    assertThat(tools.body().get(1).path("name").asText()).isEqualTo("lookup");
    assertThat(tools.body().get(1).path("pipelines").toString())
        .as("one tool in three pipelines is listed once")
        .isEqualTo("[\"approval\",\"held\",\"lookup\"]");
  }

  @Test
  void aRunStartsRunsItsStepsAndShowsTheirArtifactsProgressAndTrace() throws Exception {
    Reply r =
        post(
            "/pipelines/lookup/runs",
            "{\"goal\": \"Join a and b\", \"context\": {\"key\": \"a\"}}",
            "X-Request-Id",
            "run-request-1");
    assertThat(r.status()).as("%s", r.body()).isEqualTo(201);
    assertThat(r.header("X-Request-Id")).isEqualTo("run-request-1");
    String id = r.body().path("id").asText();
    assertThat(r.header("Location")).endsWith(API + "/runs/" + id);
    assertThat(r.body().path("pipeline").asText()).isEqualTo("lookup");
    assertThat(r.body().path("goal").asText()).isEqualTo("Join a and b");
    assertThat(r.body().path("status").asText()).isIn("PLANNING", "RUNNING");
    assertThat(r.body().has("trace")).as("the trace is read apart").isFalse();

    JsonNode run = awaitRunStatus(id, "COMPLETED");
    assertThat(run.path("paused").asBoolean()).isFalse();
    assertThat(run.path("round").asInt()).isZero();
    assertThat(run.path("totalSteps").asInt()).isEqualTo(3);
    assertThat(run.path("completedSteps").asInt()).isEqualTo(3);
    assertThat(run.path("progress").asDouble()).isEqualTo(1.0);
    assertThat(run.path("currentSteps")).isEmpty();
    assertThat(run.path("estimate").asText()).as("a lookup, then an LLM step").isEqualTo("PT4S");
    assertThat(run.path("error").isNull()).isTrue();
    assertThat(run.path("rerunOf").isNull()).isTrue();
    JsonNode plan = run.path("plan").path("steps");
    assertThat(plan).hasSize(3);
    assertThat(plan.get(2).path("dependsOn").toString()).isEqualTo("[\"a\",\"b\"]");
    assertThat(plan.get(0).path("arguments").path("key").asText()).isEqualTo("${context.key}");

    JsonNode a = step(run, "a");
    assertThat(a.path("kind").asText()).isEqualTo("TOOL");
    assertThat(a.path("tool").asText()).isEqualTo("lookup");
    assertThat(a.path("status").asText()).isEqualTo("COMPLETED");
    assertThat(a.path("attempts").asInt()).isEqualTo(1);
    assertThat(a.path("result").path("input").path("key").asText()).isEqualTo("a");
    assertThat(a.path("result").path("output").asText()).isEqualTo("value of a");
    assertThat(a.path("result").path("millis").isIntegralNumber()).isTrue();
    assertThat(a.path("result").path("trace").get(0).path("kind").asText()).isEqualTo("tool");
    JsonNode task = get("/tasks/" + a.path("taskId").asText()).body();
    assertThat(task.path("labels").path("pipeline.run").asText()).isEqualTo(id);
    assertThat(task.path("labels").path("pipeline.step").asText()).isEqualTo("a");
    JsonNode join = step(run, "join");
    assertThat(join.path("kind").asText()).isEqualTo("LLM");
    assertThat(join.path("result").path("input").asText())
        .isEqualTo("Join value of a and value of b");
    assertThat(join.path("result").path("inputTokens").asLong()).isPositive();
    assertThat(run.path("verification").path("passed").asBoolean()).isTrue();
    assertThat(run.path("result").asText())
        .isEqualTo(join.path("result").path("output").asText())
        .startsWith("mock[");

    int entries = run.path("traceEntries").asInt();
    assertThat(entries).isGreaterThan(3);
    JsonNode all = get("/runs/" + id + "/trace?limit=200").body();
    assertThat(all.path("total").asInt()).isEqualTo(entries);
    assertThat(all.path("items")).hasSize(entries);
    JsonNode latest = get("/runs/" + id + "/trace?limit=2").body();
    assertThat(latest.path("total").asInt()).isEqualTo(entries);
    assertThat(latest.path("items")).hasSize(2);
    assertThat(latest.path("items").get(1)).isEqualTo(all.path("items").get(entries - 1));
    assertThat(get("/runs/" + id + "/trace").body().path("items")).hasSize(entries);

    // the dashboard's list of runs: their first planning tasks
    JsonNode firsts =
        get("/tasks?type=pipeline.plan&label=pipeline.round=0&limit=200").body().path("items");
    List<String> ids = new ArrayList<>();
    firsts.forEach(t -> ids.add(t.path("id").asText()));
    assertThat(ids).contains(id);
  }

  @Test
  void aLiveRunIsPausedResumedAndCancelledAndAFinishedOneRefusesThat() throws Exception {
    String id = started("held", "{\"goal\": \"Hold on\"}").path("id").asText();
    awaitRun(id, "holding", r -> "RUNNING".equals(r.path("steps").path(0).path("status").asText()));
    assertProblem(
        post("/runs/" + id + "/rerun", "{\"fromStep\": \"hold\"}"), 409, "illegal-transition");

    Reply paused = post("/runs/" + id + "/pause", "");
    assertThat(paused.status()).as("%s", paused.body()).isEqualTo(200);
    assertThat(paused.body().path("paused").asBoolean()).isTrue();
    assertThat(paused.body().path("currentSteps").toString()).isEqualTo("[\"hold\"]");
    String after = step(paused.body(), "after").path("taskId").asText();
    assertThat(get("/tasks/" + after).body().path("paused").asBoolean()).isTrue();

    Reply resumed = post("/runs/" + id + "/resume", "");
    assertThat(resumed.status()).isEqualTo(200);
    assertThat(resumed.body().path("paused").asBoolean()).isFalse();
    assertThat(get("/tasks/" + after).body().path("paused").asBoolean()).isFalse();

    Reply cancelled = post("/runs/" + id + "/cancel", "");
    assertThat(cancelled.status()).isEqualTo(200);
    JsonNode run = awaitRunStatus(id, "CANCELLED");
    assertThat(step(run, "hold").path("status").asText()).isEqualTo("CANCELLED");
    assertThat(step(run, "after").path("status").asText()).isEqualTo("CANCELLED");
    assertThat(run.path("error").asText()).isNotBlank();
    for (String action : List.of("pause", "resume", "cancel")) {
      assertProblem(post("/runs/" + id + "/" + action, ""), 409, "illegal-transition");
    }
  }

  @Test
  void aSignalWakesARunsWaitStepWithItsPayload() throws Exception {
    String id = started("approval", "{\"goal\": \"Approve\"}").path("id").asText();
    awaitRun(
        id, "waiting", r -> "SCHEDULED".equals(r.path("steps").path(0).path("status").asText()));
    Reply signalled = post("/runs/" + id + "/signals/approval", "{\"payload\": \"a\"}");
    assertThat(signalled.status()).as("%s", signalled.body()).isEqualTo(200);
    assertThat(signalled.body().path("stored").asBoolean()).isTrue();
    JsonNode run = awaitRunStatus(id, "COMPLETED");
    assertThat(step(run, "approve").path("result").path("output").asText()).isEqualTo("a");
    Reply again = post("/runs/" + id + "/signals/approval", "{\"payload\": \"b\"}");
    assertThat(again.body().path("stored").asBoolean()).isFalse();
    assertProblem(
        post("/runs/" + id + "/signals/%20", "{\"payload\": \"x\"}"), 400, "invalid-task");
  }

  @Test
  void aFinishedRunIsRerunFromAStepReusingTheStepsBeforeIt() throws Exception {
    String first = completedLookupRun("a");
    JsonNode old = get("/runs/" + first).body();

    Reply r =
        post("/runs/" + first + "/rerun", "{\"fromStep\": \"b\", \"arguments\": {\"key\": \"z\"}}");
    assertThat(r.status()).as("%s", r.body()).isEqualTo(201);
    String second = r.body().path("id").asText();
    assertThat(second).isNotEqualTo(first);
    assertThat(r.header("Location")).endsWith(API + "/runs/" + second);
    assertThat(r.body().path("rerunOf").asText()).isEqualTo(first);
    JsonNode again = awaitRunStatus(second, "COMPLETED");
    assertThat(step(again, "b").path("result").path("output").asText()).isEqualTo("value of z");
    JsonNode a = step(again, "a").path("result");
    assertThat(a.path("output").asText()).isEqualTo("value of a");
    assertThat(a.path("millis")).isEqualTo(step(old, "a").path("result").path("millis"));
    assertThat(a.path("trace").toString()).contains("reused");
    assertThat(step(again, "join").path("result").path("input").asText())
        .isEqualTo("Join value of a and value of z");
    assertThat(get("/tasks/" + second).body().path("parentIds").get(0).asText())
        .as("chained from the run it reruns")
        .isEqualTo(first);

    Reply prompted =
        post(
            "/runs/" + second + "/rerun",
            "{\"fromStep\": \"join\", \"prompt\": \"Only ${steps.a.output}\"}");
    assertThat(prompted.status()).as("%s", prompted.body()).isEqualTo(201);
    JsonNode third = awaitRunStatus(prompted.body().path("id").asText(), "COMPLETED");
    assertThat(step(third, "join").path("result").path("input").asText())
        .isEqualTo("Only value of a");
    assertThat(step(third, "b").path("result").path("output").asText()).isEqualTo("value of z");
  }

  // ---- the problems ----

  @Test
  void badInputIsRefusedWithATypedProblemBeforeAnythingIsWritten() throws Exception {
    String done = completedLookupRun("a");
    String plain = created("{\"prompt\": \"not a run\"}").path("id").asText();
    awaitStatus(plain, "COMPLETED");
    long before = total();

    assertProblem(post("/pipelines/nope/runs", "{\"goal\": \"x\"}"), 404, "not-found");
    Reply noGoal = post("/pipelines/lookup/runs", "{}");
    assertProblem(noGoal, 400, "invalid-task");
    assertThat(noGoal.body().path("problem").asText()).isEqualTo("BAD_FIELD");
    assertProblem(post("/pipelines/lookup/runs", "{\"goal\": \"  \"}"), 400, "invalid-task");
    assertProblem(post("/pipelines/lookup/runs", ""), 400, "bad-request");
    assertProblem(post("/pipelines/lookup/runs", "[1]"), 400, "bad-request");
    assertProblem(
        post("/pipelines/lookup/runs", "{\"goal\": \"x\", \"colour\": 1}"), 400, "bad-request");
    assertProblem(
        post("/pipelines/lookup/runs", "{\"goal\": \"x\", \"context\": {\"key\": null}}"),
        400,
        "bad-request");
    assertProblem(
        post("/pipelines/lookup/runs", "{\"goal\": \"x\", \"context\": [\"key\"]}"),
        400,
        "bad-request");

    String unknown = UUID.randomUUID().toString();
    assertProblem(get("/runs/" + unknown), 404, "not-found");
    assertProblem(get("/runs/" + plain), 404, "not-found");
    assertProblem(get("/runs/not-a-uuid"), 400, "bad-request");
    assertProblem(get("/runs/" + unknown + "/trace"), 404, "not-found");
    assertProblem(get("/runs/" + done + "/trace?limit=0"), 400, "bad-request");
    assertProblem(get("/runs/" + done + "/trace?limit=100000"), 400, "bad-request");
    assertProblem(get("/runs/" + done + "/trace?limit=many"), 400, "bad-request");
    for (String action : List.of("pause", "resume", "cancel")) {
      assertProblem(post("/runs/" + unknown + "/" + action, ""), 404, "not-found");
    }
    String planOfStep = step(get("/runs/" + done).body(), "a").path("taskId").asText();
    assertProblem(get("/runs/" + planOfStep), 404, "not-found");

    String rerun = "/runs/" + done + "/rerun";
    assertProblem(post("/runs/" + unknown + "/rerun", "{\"fromStep\": \"a\"}"), 404, "not-found");
    assertProblem(post(rerun, ""), 400, "bad-request");
    assertProblem(post(rerun, "{}"), 400, "bad-request");
    assertProblem(post(rerun, "{\"fromStep\": \"a\", \"extra\": 1}"), 400, "bad-request");
    Reply noStep = post(rerun, "{\"fromStep\": \"nope\"}");
    assertProblem(noStep, 400, "invalid-task");
    assertThat(noStep.body().path("detail").asText()).contains("nope").contains("[a, b, join]");
    assertProblem(
        post(rerun, "{\"fromStep\": \"join\", \"arguments\": {\"key\": \"x\"}}"),
        400,
        "bad-request");
    assertProblem(post(rerun, "{\"fromStep\": \"a\", \"arguments\": [1]}"), 400, "bad-request");
    Reply schema = post(rerun, "{\"fromStep\": \"a\", \"arguments\": {\"key\": 5}}");
    assertProblem(schema, 400, "invalid-task");
    assertThat(schema.body().path("detail").asText()).contains("'key' must be");
    assertProblem(post(rerun, "{\"fromStep\": \"a\", \"arguments\": {}}"), 400, "invalid-task");
    assertProblem(post(rerun, "{\"fromStep\": \"a\", \"prompt\": \"x\"}"), 400, "bad-request");
    assertProblem(post(rerun, "{\"fromStep\": \"join\", \"prompt\": \" \"}"), 400, "bad-request");
    Reply reads = post(rerun, "{\"fromStep\": \"join\", \"prompt\": \"Read ${steps.x.output}\"}");
    assertProblem(reads, 400, "invalid-task");
    assertThat(reads.body().path("detail").asText()).contains("does not depend on it");

    assertThat(total()).as("nothing written").isEqualTo(before);
  }

  @Test
  void aRunIsItsStartersOwnersWithEveryTaskOfItAndHiddenFromOtherOwners() throws Exception {
    Reply r =
        post(
            "/pipelines/lookup/runs",
            "{\"goal\": \"Join a and b\", \"context\": {\"key\": \"a\"}}",
            "X-User-Id",
            "alice");
    assertThat(r.status()).as("%s", r.body()).isEqualTo(201);
    String id = r.body().path("id").asText();
    JsonNode done = awaitRunStatus(id, "COMPLETED", "X-User-Id", "alice");
    assertThat(step(done, "join").path("result").path("output").asText()).isNotBlank();
    JsonNode tasks = get("/tasks?label=pipeline.run=" + id + "&limit=200").body().path("items");
    assertThat(tasks.size()).as("its steps and verification").isGreaterThanOrEqualTo(4);
    tasks.forEach(t -> assertThat(t.path("owner").asText()).as("%s", t).isEqualTo("alice"));
    assertThat(get("/tasks/" + id).body().path("owner").asText()).isEqualTo("alice");
    assertThat(get("/runs/" + id, "X-User-Id", "alice").status()).isEqualTo(200);
    assertThat(get("/runs/" + id).status()).as("a request for every owner sees it").isEqualTo(200);

    long before = total();
    assertProblem(get("/runs/" + id, "X-User-Id", "bob"), 404, "not-found");
    assertProblem(get("/runs/" + id + "/trace", "X-User-Id", "bob"), 404, "not-found");
    for (String action : List.of("pause", "resume", "cancel")) {
      assertProblem(post("/runs/" + id + "/" + action, "", "X-User-Id", "bob"), 404, "not-found");
    }
    assertProblem(
        post("/runs/" + id + "/rerun", "{\"fromStep\": \"b\"}", "X-User-Id", "bob"),
        404,
        "not-found");
    assertProblem(
        post("/runs/" + id + "/signals/approval", "{\"payload\": \"x\"}", "X-User-Id", "bob"),
        404,
        "not-found");
    assertThat(
            get("/tasks?type=pipeline.plan&label=pipeline.round=0", "X-User-Id", "bob")
                .body()
                .path("items"))
        .as("bob lists no run of alice's")
        .isEmpty();
    assertThat(total()).as("nothing written").isEqualTo(before);

    for (String[] who : List.of(new String[] {"X-User-Id", "alice"}, new String[0])) {
      Reply again = post("/runs/" + id + "/rerun", "{\"fromStep\": \"b\"}", who);
      assertThat(again.status()).as("%s", again.body()).isEqualTo(201);
      String rerun = again.body().path("id").asText();
      awaitRunStatus(rerun, "COMPLETED", "X-User-Id", "alice");
      assertThat(get("/tasks/" + rerun).body().path("owner").asText())
          .as("a rerun, by its owner or for every owner, is the old run's owner's")
          .isEqualTo("alice");
    }
    assertThat(get("/pipelines", "X-User-Id", "bob").status()).isEqualTo(200);
    assertThat(get("/tools", "X-User-Id", "bob").status()).isEqualTo(200);
    assertProblem(get("/pipelines", "X-User-Id", "-"), 401, "owner-required");
    assertProblem(get("/runs/" + id, "X-User-Id", "-"), 401, "owner-required");
  }
}
