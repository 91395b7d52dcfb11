package dev.orchestrator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.OwnerScope;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.StepResult;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.pipeline.Trace;
import dev.orchestrator.pipeline.Verdict;
import dev.orchestrator.pipeline.Verifier;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What pipelines must do on every store, through the public API only: plans become step tasks,
 * tools keep their timeouts and retries, the verifier gates the result (re-plan, then fail), runs
 * pause, rerun from a step, and summarise their context at the limit.
 */
public abstract class PipelineContract {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  protected TaskStore store;
  private TaskQueue queue;
  private Orchestrator orchestrator;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  protected abstract TaskStore newStore();

  protected abstract TaskQueue newQueue(TaskStore store);

  @BeforeEach
  void open() {
    store = newStore();
    queue = newQueue(store);
  }

  @AfterEach
  void closeAll() {
    if (orchestrator != null) {
      orchestrator.close();
    }
    queue.close();
    store.close();
  }

  private Orchestrator start(Pipelines pipelines, MockLlmClient llm) {
    orchestrator =
        pipelines
            .install(
                Orchestrator.builder()
                    .store(store)
                    .queue(queue)
                    .llm(llm)
                    .workers(4)
                    .pollInterval(Duration.ofMillis(50))
                    .schedulerMaxIdle(Duration.ofMillis(20)))
            .build()
            .start();
    return orchestrator;
  }

  private static JsonNode args(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** A tool that counts its calls and answers with its name and arguments. */
  private Tool counted(String name) {
    return Tool.builder(name)
        .description("looks up " + name)
        .parameters(
            "{\"type\":\"object\",\"properties\":{\"project\":{\"type\":\"string\"}},"
                + "\"required\":[\"project\"]}")
        .function(
            a -> {
              calls.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
              return name + " of " + a.path("project").asText();
            })
        .build();
  }

  private int callsOf(String name) {
    return calls.getOrDefault(name, new AtomicInteger()).get();
  }

  /** tickets and metrics in parallel, a draft after both, the update after the draft. */
  private static Plan updatePlan(String goal) {
    return new Plan(
        goal,
        List.of(
            Plan.Step.tool("tickets", "tickets", args("{\"project\":\"${context.project}\"}")),
            Plan.Step.tool("metrics", "metrics", args("{\"project\":\"${context.project}\"}")),
            Plan.Step.llm("draft", "Draft from ${steps.tickets.output} and ${steps.metrics.output}")
                .after("tickets", "metrics"),
            Plan.Step.llm("update", "Final: ${steps.draft.output}").after("draft")));
  }

  /** A deterministic planner: these steps, whatever the request. */
  private static dev.orchestrator.pipeline.Planner steps(Plan.Step... steps) {
    return (r, s) -> new Plan(r.goal(), List.of(steps));
  }

  private Pipeline.Builder update() {
    return Pipeline.builder("update")
        .planner((request, stage) -> updatePlan(request.goal()))
        .tools(ToolRegistry.of(counted("tickets"), counted("metrics")));
  }

  private PipelineRun finished(Pipelines pipelines, PipelineRun run) throws Exception {
    return pipelines.await(orchestrator, run.id(), WAIT);
  }

  @Test
  void aPlanRunsAsStepTasksAndTheSameGoalGivesTheSamePlanStepsAndArtifacts() throws Exception {
    Pipelines pipelines = Pipelines.of(update().build());
    start(pipelines, MockLlmClient.builder().build());
    List<PipelineRun> runs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      PipelineRun run =
          pipelines.start(orchestrator, "update", "Update on X", Map.of("project", "X"));
      runs.add(finished(pipelines, run));
    }
    PipelineRun a = runs.get(0);
    PipelineRun b = runs.get(1);
    assertEquals(PipelineRun.Status.COMPLETED, a.status(), a.error());
    assertEquals(4, a.totalSteps());
    assertEquals(4, a.completedSteps());
    assertEquals(1.0, a.progress());
    assertEquals(a.plan(), b.plan(), "the same plan");
    for (int i = 0; i < a.steps().size(); i++) {
      StepResult x = a.steps().get(i).result();
      StepResult y = b.steps().get(i).result();
      assertEquals(x.input(), y.input(), "the same input of " + x.step());
      assertEquals(x.output(), y.output(), "the same output of " + x.step());
    }
    assertEquals(a.result(), b.result());
    assertEquals("tickets of X", a.steps().get(0).result().output());
    assertEquals(
        MockLlmClient.outputFor("Final: " + a.steps().get(2).result().output()), a.result());
    assertTrue(a.verification().passed());
    List<String> kinds = a.trace().stream().map(Trace::kind).toList();
    assertTrue(
        kinds.contains("tool") && kinds.contains("llm") && kinds.contains("decision"),
        kinds.toString());
    assertTrue(
        a.trace().stream().filter(t -> t.kind().equals("llm")).allMatch(t -> t.inputTokens() > 0),
        "LLM calls carry their tokens");
    assertEquals(Duration.ofSeconds(1 + 3 + 3), a.estimate(), "the critical path");
  }

  @Test
  void theFrontDoorSendsASimpleRequestToOneCallAndAComplexOneToAPipeline() throws Exception {
    Pipelines pipelines =
        Pipelines.of(update().build())
            .withTriage(
                dev.orchestrator.pipeline.Triage.rules(r -> r.contains("update"), "update"));
    start(pipelines, MockLlmClient.builder().build());
    dev.orchestrator.pipeline.Answer simple =
        pipelines.ask(orchestrator, "What is 2 + 2?", Map.of(), WAIT);
    assertTrue(simple.isSingle());
    assertTrue(simple.steps().isEmpty());
    dev.orchestrator.Task call =
        orchestrator.await(simple.id()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(MockLlmClient.outputFor("What is 2 + 2?"), call.output());
    assertTrue(call.options().stream(), "the single call streams");

    dev.orchestrator.pipeline.Answer complex =
        pipelines.ask(orchestrator, "Prepare an update on X", Map.of("project", "X"), WAIT);
    assertEquals("update", complex.pipeline());
    assertEquals(
        List.of("tickets", "metrics", "draft", "update"),
        complex.steps().stream().map(Plan.Step::id).toList());
    assertEquals(Duration.ofSeconds(7), complex.estimate());
    PipelineRun run = pipelines.await(orchestrator, complex.id(), WAIT);
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    assertTrue(
        orchestrator.lineage(run.id()).tasks().stream().anyMatch(t -> "triage".equals(t.name())),
        "the triage is the run's first task");
  }

  private Pipeline.Builder approved() {
    return update()
        .planner(
            steps(
                Plan.Step.tool("tickets", "tickets", args("{\"project\":\"X\"}")),
                Plan.Step.await("approve", "approval").after("tickets"),
                Plan.Step.tool(
                        "metrics", "metrics", args("{\"project\":\"${steps.approve.output}\"}"))
                    .after("approve")));
  }

  @Test
  void aWaitStepHoldsNoWorkerUntilItsSignalThenTheRunGoesOnWithThePayload() throws Exception {
    Pipelines pipelines = Pipelines.of(approved().build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run = pipelines.start(orchestrator, "update", "Update", Map.of());
    Waits.until(
        "the approval step waits",
        WAIT,
        () ->
            pipelines.run(orchestrator, run.id()).steps().size() == 3
                && pipelines.run(orchestrator, run.id()).steps().get(1).status()
                    == TaskStatus.SCHEDULED);
    assertEquals(0, callsOf("metrics"));
    assertTrue(pipelines.signal(orchestrator, run.id(), "approval", "Y"));
    PipelineRun done = finished(pipelines, run);
    assertEquals(PipelineRun.Status.COMPLETED, done.status(), done.error());
    assertEquals("Y", done.steps().get(1).result().output());
    assertEquals("metrics of Y", done.result());
    assertEquals(1, done.steps().get(1).attempts(), "the wait was not an attempt");
  }

  @Test
  void aWaitThatTimesOutFailsTheRunOrIsSkippedAsConfigured() throws Exception {
    Pipelines failing = Pipelines.of(approved().waitTimeout(Duration.ofMillis(300), false).build());
    start(failing, MockLlmClient.builder().build());
    PipelineRun failed =
        finished(failing, failing.start(orchestrator, "update", "Update", Map.of()));
    assertEquals(PipelineRun.Status.FAILED, failed.status());
    assertTrue(failed.error().contains("no signal 'approval'"), failed.error());
    orchestrator.close();

    Pipelines skipping = Pipelines.of(approved().waitTimeout(Duration.ofMillis(300), true).build());
    start(skipping, MockLlmClient.builder().build());
    PipelineRun skipped =
        finished(skipping, skipping.start(orchestrator, "update", "Update", Map.of()));
    assertEquals(PipelineRun.Status.COMPLETED, skipped.status(), skipped.error());
    assertEquals("(no signal 'approval')", skipped.steps().get(1).result().output());
  }

  @Test
  void aToolThatTimesOutIsRetriedByItsPolicyAndTheRunCompletes() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    Tool slow =
        Tool.builder("slow")
            .timeout(Duration.ofMillis(300))
            .maxAttempts(3)
            .retryPolicy(
                new dev.orchestrator.retry.RetryPolicy(
                    Duration.ofMillis(10), 1, Duration.ofMillis(10)))
            .function(
                a -> {
                  if (attempts.incrementAndGet() == 1) {
                    Thread.sleep(10_000); // the first call outlives its timeout
                  }
                  return "fast enough";
                })
            .build();
    Pipelines pipelines =
        Pipelines.of(
            Pipeline.builder("slow")
                .planner(steps(Plan.Step.tool("call", "slow", args("{}"))))
                .tools(ToolRegistry.of(slow))
                .build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run = finished(pipelines, pipelines.start(orchestrator, "slow", "go", Map.of()));
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    assertEquals(2, run.steps().get(0).attempts(), "the timed-out call and its retry");
    assertEquals("fast enough", run.result());
    assertEquals(
        dev.orchestrator.lifecycle.AttemptOutcome.TIMED_OUT,
        orchestrator.attempts(run.steps().get(0).taskId()).get(0).outcome());
  }

  @Test
  void aFailedVerificationReplansWithItsFindingsAndThenPasses() throws Exception {
    Pipelines pipelines =
        Pipelines.of(
            update()
                .planner(
                    (r, s) ->
                        r.findings().isEmpty()
                            ? updatePlan(r.goal())
                            : new Plan(
                                r.goal(),
                                List.of(
                                    Plan.Step.llm(
                                        "update",
                                        "An update that names its risks: " + r.findings()))))
                .verifier(Verifier.allOf(Verifier.structural(), Verifier.mentions("risks")))
                .maxReplans(2)
                .build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run =
        finished(
            pipelines, pipelines.start(orchestrator, "update", "Update", Map.of("project", "X")));
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    assertEquals(1, run.round(), "one re-plan");
    assertEquals(1, run.totalSteps());
    assertTrue(run.result().contains("risks"));
    assertTrue(
        run.trace().stream()
            .anyMatch(t -> t.name().equals("failed") && t.output().contains("risks")),
        "the first verdict is in the trace");
  }

  @Test
  void exhaustedReplansEndTheRunFailedWithTheVerifiersFindings() throws Exception {
    Pipelines pipelines =
        Pipelines.of(
            update()
                .verifier((outcome, stage) -> Verdict.fail(List.of("no executive summary")))
                .maxReplans(1)
                .build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run =
        finished(
            pipelines, pipelines.start(orchestrator, "update", "Update", Map.of("project", "X")));
    assertEquals(PipelineRun.Status.FAILED, run.status());
    assertEquals(1, run.round());
    assertTrue(run.error().contains("no executive summary"), run.error());
    assertEquals(2, callsOf("tickets"), "each of the two rounds ran its steps once");
  }

  @Test
  void aStepThatFailsFailsTheRunAndNothingAfterItStarts() throws Exception {
    Tool broken =
        Tool.builder("broken")
            .maxAttempts(2)
            .retryPolicy(
                new dev.orchestrator.retry.RetryPolicy(
                    Duration.ofMillis(10), 1, Duration.ofMillis(10)))
            .function(
                a -> {
                  throw new IllegalStateException("the service is down");
                })
            .build();
    Pipelines pipelines =
        Pipelines.of(
            update()
                .planner(
                    steps(
                        Plan.Step.tool("fetch", "broken", args("{}")),
                        Plan.Step.tool("tickets", "tickets", args("{\"project\":\"X\"}"))
                            .after("fetch")))
                .tools(ToolRegistry.of(broken, counted("tickets")))
                .build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run =
        finished(pipelines, pipelines.start(orchestrator, "update", "Update", Map.of()));
    assertEquals(PipelineRun.Status.FAILED, run.status());
    assertTrue(run.error().contains("the service is down"), run.error());
    assertEquals(2, run.steps().get(0).attempts());
    assertEquals(TaskStatus.CANCELLED, run.steps().get(1).status());
    assertEquals(0, callsOf("tickets"));
  }

  @Test
  void anInvalidPlanFailsTheRunWithItsProblemsBeforeAnyStepRuns() throws Exception {
    Pipelines pipelines =
        Pipelines.of(
            update()
                .planner(
                    steps(
                        Plan.Step.tool("a", "no_such_tool", args("{}")),
                        Plan.Step.llm("b", "${steps.a.output}")))
                .build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run =
        finished(pipelines, pipelines.start(orchestrator, "update", "Update", Map.of()));
    assertEquals(PipelineRun.Status.FAILED, run.status());
    assertTrue(run.error().contains("unknown tool 'no_such_tool'"), run.error());
    assertTrue(run.error().contains("reads step 'a' but does not depend on it"), run.error());
    assertTrue(run.steps().isEmpty());
    assertThrows(
        InvalidTaskException.class, () -> pipelines.start(orchestrator, "nope", "g", Map.of()));
  }

  @Test
  void aRerunFromAStepReusesTheEarlierStepsAndRunsTheRestWithTheEditedInput() throws Exception {
    Pipelines pipelines = Pipelines.of(update().build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun first =
        finished(
            pipelines, pipelines.start(orchestrator, "update", "Update", Map.of("project", "X")));
    assertEquals(PipelineRun.Status.COMPLETED, first.status(), first.error());
    PipelineRun again =
        finished(
            pipelines,
            pipelines.rerun(
                orchestrator, first.id(), "draft", null, "Draft briefly: ${steps.tickets.output}"));
    assertEquals(PipelineRun.Status.COMPLETED, again.status(), again.error());
    assertEquals(first.id(), again.rerunOf());
    assertEquals(1, callsOf("tickets"), "tickets reused, not called again");
    assertEquals(1, callsOf("metrics"));
    assertEquals(first.steps().get(0).result().output(), again.steps().get(0).result().output());
    assertEquals(
        MockLlmClient.outputFor("Draft briefly: tickets of X"),
        again.steps().get(2).result().output());
    assertFalse(first.result().equals(again.result()));
    assertTrue(
        orchestrator.lineage(again.id()).tasks().stream().anyMatch(t -> t.id().equals(first.id())),
        "the rerun is linked to the run it reruns");
  }

  @Test
  void aRunPausedWhilePlanningStartsNoStepUntilResumed() throws Exception {
    CountDownLatch planning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Pipelines pipelines =
        Pipelines.of(
            update()
                .planner(
                    (request, stage) -> {
                      planning.countDown();
                      release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
                      return updatePlan(request.goal());
                    })
                .build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run = pipelines.start(orchestrator, "update", "Update", Map.of("project", "X"));
    assertTrue(planning.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    pipelines.pause(orchestrator, run.id());
    release.countDown();
    Waits.until(
        "the plan is written, its steps held",
        WAIT,
        () -> {
          PipelineRun now = pipelines.run(orchestrator, run.id());
          return now.totalSteps() == 4
              && now.steps().stream().allMatch(s -> s.status() != null)
              && now.steps().get(0).status() == TaskStatus.QUEUED;
        });
    PipelineRun held = pipelines.run(orchestrator, run.id());
    assertTrue(held.paused());
    assertEquals(0, held.completedSteps());
    assertEquals(0, callsOf("tickets") + callsOf("metrics"), "no step started while paused");
    pipelines.resume(orchestrator, run.id());
    PipelineRun done = finished(pipelines, run);
    assertEquals(PipelineRun.Status.COMPLETED, done.status(), done.error());
    assertEquals(1, callsOf("tickets"));
  }

  @Test
  void aRunStartedAsAnOwnerIsItsWithEveryTaskOfItAndInvisibleToOtherOwners() throws Exception {
    Pipelines pipelines = Pipelines.of(update().build());
    start(pipelines, MockLlmClient.builder().build());
    OwnerScope acme = orchestrator.forOwner("acme");
    OwnerScope globex = orchestrator.forOwner("globex");
    PipelineRun run =
        pipelines.await(
            acme, pipelines.start(acme, "update", "Update", Map.of("project", "X")).id(), WAIT);
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    List<Task> tasks =
        orchestrator
            .list(
                TaskQuery.builder()
                    .label("pipeline.run", run.id().toString())
                    .limit(TaskQuery.MAX_LIMIT)
                    .build())
            .items();
    assertEquals(5, tasks.size(), "four steps and the verification: " + tasks);
    assertTrue(tasks.stream().allMatch(t -> t.owner().equals("acme")), tasks.toString());
    assertEquals("acme", orchestrator.task(run.id()).owner());
    assertEquals(run.result(), pipelines.run(orchestrator, run.id()).result(), "every owner's");

    for (Runnable other :
        List.<Runnable>of(
            () -> pipelines.run(globex, run.id()),
            () -> pipelines.pause(globex, run.id()),
            () -> pipelines.cancel(globex, run.id()),
            () -> pipelines.signal(globex, run.id(), "go", "x"),
            () -> pipelines.rerun(globex, run.id(), "draft", null, null))) {
      assertThrows(InvalidTaskException.class, other::run, "another owner sees no such run");
    }
    assertEquals(0, globex.list(TaskQuery.builder().build()).items().size());

    PipelineRun byOwner = pipelines.rerun(acme, run.id(), "draft", null, null);
    PipelineRun byOperator = pipelines.rerun(orchestrator, run.id(), "update", null, null);
    for (PipelineRun rerun : List.of(byOwner, byOperator)) {
      assertEquals(PipelineRun.Status.COMPLETED, pipelines.await(acme, rerun.id(), WAIT).status());
      assertEquals("acme", orchestrator.task(rerun.id()).owner(), "a rerun keeps the owner");
    }
    assertTrue(
        orchestrator.usage().stream().anyMatch(u -> u.owner().equals("acme")),
        "the run's LLM calls count in its owner's usage");
  }

  @Test
  void aPausedRunStartsNoStepUntilResumed() throws Exception {
    CountDownLatch inFirst = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Tool gate =
        Tool.builder("gate")
            .function(
                a -> {
                  inFirst.countDown();
                  release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
                  return "through";
                })
            .build();
    Pipelines pipelines =
        Pipelines.of(
            update()
                .planner(
                    steps(
                        Plan.Step.tool("gate", "gate", args("{}")),
                        Plan.Step.tool("tickets", "tickets", args("{\"project\":\"X\"}"))
                            .after("gate")))
                .tools(ToolRegistry.of(gate, counted("tickets")))
                .build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run = pipelines.start(orchestrator, "update", "Update", Map.of());
    assertTrue(inFirst.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    pipelines.pause(orchestrator, run.id());
    release.countDown();
    Waits.until(
        "the running step finishes and the next is released",
        WAIT,
        () -> {
          PipelineRun now = pipelines.run(orchestrator, run.id());
          return now.completedSteps() == 1 && now.steps().get(1).status() == TaskStatus.QUEUED;
        });
    PipelineRun held = pipelines.run(orchestrator, run.id());
    assertTrue(held.paused());
    assertEquals(TaskStatus.QUEUED, held.steps().get(1).status(), "released, but held");
    assertEquals(0, callsOf("tickets"));
    pipelines.resume(orchestrator, run.id());
    PipelineRun done = finished(pipelines, run);
    assertEquals(PipelineRun.Status.COMPLETED, done.status(), done.error());
    assertEquals(1, callsOf("tickets"));
  }

  @Test
  void anLlmStepSummarisesTheOutputsItReadsWhenTheyExceedTheContextLimit() throws Exception {
    Tool big = Tool.builder("big").function(a -> "figure ".repeat(400)).build();
    Pipelines pipelines =
        Pipelines.of(
            update()
                .planner(
                    steps(
                        Plan.Step.tool("one", "big", args("{}")),
                        Plan.Step.tool("two", "big", args("{}")),
                        Plan.Step.llm("write", "Use ${steps.one.output} and ${steps.two.output}")
                            .after("one", "two")))
                .tools(ToolRegistry.of(big))
                .contextTokenLimit(500)
                .build());
    start(pipelines, MockLlmClient.builder().build());
    PipelineRun run =
        finished(pipelines, pipelines.start(orchestrator, "update", "Update", Map.of()));
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    StepResult write = run.steps().get(2).result();
    assertTrue(
        write.trace().stream().anyMatch(t -> t.name().equals("summarise context")),
        "the summary is a traced decision");
    assertEquals(
        2,
        write.trace().stream().filter(t -> t.kind().equals("llm")).count(),
        "the summary and the call");
    assertTrue(write.input().asText().length() < 2 * 400 * 7, "the prompt got shorter");
    assertNotNull(run.result());
  }
}
