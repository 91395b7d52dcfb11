package dev.orchestrator.examples.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.examples.pipeline.ProjectData.Ticket;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.llm.Langchain4jLlmClient;
import dev.orchestrator.llm.MockLlmClient;
import dev.orchestrator.pipeline.LlmPlanner;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.PipelineRun.StepView;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.StepResult;
import dev.orchestrator.pipeline.Trace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The example's pipeline on the embedded defaults (mock LLM, deterministic planner): the same goal
 * gives the same plan, step outputs and update every time; the update names the bundled risks; the
 * three data steps run at once; a goal that forgets the risks is re-planned until it names them.
 */
class PipelineExampleTest {
  private static final List<String> DATA_STEPS = List.of("tickets", "metrics", "documents");

  /** A run of the goal on a fresh app, and what it printed. */
  private record Printed(PipelineRun run, String output, List<List<Attempt>> dataAttempts) {}

  private static Printed run(PipelineApp app, String goal) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PipelineRun run;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      run = app.run(goal, Map.of(), out);
    }
    List<List<Attempt>> attempts = new ArrayList<>();
    for (String id : DATA_STEPS) {
      attempts.add(app.orchestrator().attempts(step(run, id).taskId()));
    }
    return new Printed(run, bytes.toString(StandardCharsets.UTF_8), attempts);
  }

  private static Printed runFresh(String goal) throws Exception {
    try (PipelineApp app = PipelineApp.embedded()) {
      return run(app, goal);
    }
  }

  private static StepView step(PipelineRun run, String id) {
    return run.steps().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
  }

  /** The open tickets labelled risk or blocker of a project in the bundled data. */
  private static List<String> bundledRisks(String project) {
    ProjectData data = ProjectData.bundled();
    return data.tickets(data.project(project).orElseThrow(), "open", null).stream()
        .filter(Ticket::risky)
        .map(Ticket::id)
        .toList();
  }

  @Test
  void theSameGoalGivesTheSamePlanStepOutputsAndUpdateEveryTime() throws Exception {
    Printed first = runFresh(PipelineExample.DEFAULT_GOAL);
    Printed second = runFresh(PipelineExample.DEFAULT_GOAL);
    PipelineRun a = first.run();
    PipelineRun b = second.run();
    assertEquals(PipelineRun.Status.COMPLETED, a.status(), a.error());
    assertEquals(PipelineRun.Status.COMPLETED, b.status(), b.error());
    assertEquals(0, a.round(), "passed without a re-plan");
    assertEquals(a.plan(), b.plan(), "the same plan");
    assertEquals(
        List.of("tickets", "metrics", "documents", "draft", "update"),
        a.plan().steps().stream().map(Plan.Step::id).toList());
    assertEquals(5, a.completedSteps());
    for (int i = 0; i < a.steps().size(); i++) {
      StepResult x = a.steps().get(i).result();
      StepResult y = b.steps().get(i).result();
      assertEquals(x.input(), y.input(), "the same input of " + x.step());
      assertEquals(x.output(), y.output(), "the same output of " + x.step());
    }
    assertEquals(a.result(), b.result(), "the same update");
    assertEquals(step(a, "update").result().output(), a.result(), "the last step's output");
    assertTrue(a.verification().passed());
    assertTrue(a.verification().findings().isEmpty(), a.verification().findings().toString());

    String draft = step(a, "draft").result().output();
    assertEquals(
        MockLlmClient.outputFor(step(a, "draft").result().input().asText()),
        draft,
        "the draft is the mock's answer to the prompt with the three results filled in");
    assertTrue(a.result().contains(draft), "the draft is the update's narrative");
    assertTrue(step(a, "draft").result().inputTokens() > 0, "the LLM step counts its tokens");
  }

  @Test
  void theUpdateNamesEveryOpenRiskAndBlockerOfTheBundledTicketsUnderRisks() throws Exception {
    PipelineRun run = runFresh(PipelineExample.DEFAULT_GOAL).run();
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    List<String> risks = bundledRisks("atlas");
    assertEquals(List.of("ATL-103", "ATL-105", "ATL-107", "ATL-110"), risks, "the bundled data");
    String update = run.result();
    int section = update.indexOf("## Risks");
    assertTrue(section >= 0, update);
    String risksSection = update.substring(section, update.indexOf("\n## ", section + 1));
    for (String id : risks) {
      assertTrue(risksSection.contains(id), id + " under Risks:\n" + update);
    }
    assertFalse(risksSection.contains("ATL-101"), "a done ticket is no risk");
    assertTrue(risksSection.contains("Open bugs up 92% in 6 weeks (13 to 25)"), risksSection);
    assertTrue(risksSection.indexOf("ATL-103") < risksSection.indexOf("ATL-105"), "blockers first");
    assertTrue(update.contains("| open bugs         |       13 |       25 | +12 (+92%)"), update);
  }

  @Test
  void theThreeDataStepsRunAtOnceAndTheDraftAfterAllOfThem() throws Exception {
    try (PipelineApp app = PipelineApp.embedded(Duration.ofMillis(400))) {
      Printed printed = run(app, PipelineExample.DEFAULT_GOAL);
      PipelineRun run = printed.run();
      assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
      List<Attempt> attempts = printed.dataAttempts().stream().map(l -> l.get(0)).toList();
      assertTrue(printed.dataAttempts().stream().allMatch(l -> l.size() == 1), "one attempt each");
      Instant lastStart =
          attempts.stream().map(Attempt::startedAt).max(Comparator.naturalOrder()).orElseThrow();
      Instant firstEnd =
          attempts.stream().map(Attempt::finishedAt).min(Comparator.naturalOrder()).orElseThrow();
      assertTrue(lastStart.isBefore(firstEnd), "all three started before any ended: " + attempts);

      // the tool calls themselves (from the steps' traces) overlap too
      List<Trace> calls =
          DATA_STEPS.stream()
              .map(id -> step(run, id).result().trace())
              .map(t -> t.stream().filter(e -> e.kind().equals("tool")).findFirst().orElseThrow())
              .toList();
      Instant lastCall =
          calls.stream().map(c -> Instant.parse(c.at())).max(Comparator.naturalOrder()).get();
      Instant firstReturn =
          calls.stream()
              .map(c -> Instant.parse(c.at()).plusMillis(c.millis()))
              .min(Comparator.naturalOrder())
              .get();
      assertTrue(lastCall.isBefore(firstReturn), "the calls overlap: " + calls);

      Instant lastEnd =
          attempts.stream().map(Attempt::finishedAt).max(Comparator.naturalOrder()).orElseThrow();
      Attempt draft = app.orchestrator().attempts(step(run, "draft").taskId()).get(0);
      assertFalse(draft.startedAt().isBefore(lastEnd), "the draft waits for all three");
    }
  }

  @Test
  void whatTheAppPrintsFollowsTheRun() throws Exception {
    Printed printed = runFresh(PipelineExample.DEFAULT_GOAL);
    String out = printed.output();
    PipelineRun run = printed.run();
    assertTrue(out.startsWith("goal:  " + PipelineExample.DEFAULT_GOAL), out);
    assertTrue(out.contains("tools: compose_update (timeout 5 s, 1 attempt)"), out);
    assertTrue(out.contains("plan (round 0): 5 steps"), out);
    assertTrue(
        out.matches(
            "(?s).*update\\s+TOOL\\s+compose_update\\s+tickets, metrics, documents, draft.*"),
        out);
    int steps = out.indexOf("steps, as they end:");
    int verdict = out.indexOf("verification (round 0): PASSED");
    assertTrue(steps > out.indexOf("plan (round 0)") && verdict > steps, out);
    for (StepView s : run.steps()) {
      int line = out.indexOf("\n  " + s.id() + " ", steps);
      assertTrue(line > steps && line < verdict, s.id() + " printed as it ended:\n" + out);
    }
    assertTrue(
        out.matches("(?s).*\\n  draft\\s+llm mock-1\\s+1\\s+\\d+\\s+[1-9]\\d*\\s+[1-9]\\d*\\n.*"),
        out);
    assertTrue(out.contains(run.result().stripTrailing()), "the final artifact");
    assertTrue(out.contains("totals: 1 round(s) of 5 steps, 1 LLM call(s), "), out);
    assertTrue(out.strip().endsWith("run " + run.id() + ": COMPLETED"), out);
  }

  @Test
  void aGoalThatForgetsTheRisksIsReplannedWithTheFindingsAndThenNamesThem() throws Exception {
    Printed printed = runFresh("Prepare an executive update on project Beacon");
    PipelineRun run = printed.run();
    assertEquals(PipelineRun.Status.COMPLETED, run.status(), run.error());
    assertEquals(1, run.round(), "one re-plan");
    assertTrue(run.verification().passed());
    for (String id : bundledRisks("beacon")) {
      assertTrue(run.result().contains(id), id + " in:\n" + run.result());
    }
    assertTrue(
        printed.output().contains("verification (round 0): FAILED, re-planning"), printed.output());
    assertTrue(
        printed.output().contains("the update does not name the risk BCN-203"), printed.output());
    assertTrue(printed.output().contains("plan (round 1): 5 steps"), printed.output());
  }

  @Test
  void anUnknownProjectFailsThePlanningBeforeAnyStepRuns() throws Exception {
    try (PipelineApp app = PipelineApp.embedded()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      PipelineRun run =
          app.run(
              "Prepare an executive update on project Zephyr",
              Map.of(),
              new PrintStream(bytes, true, StandardCharsets.UTF_8));
      assertEquals(PipelineRun.Status.FAILED, run.status());
      assertTrue(run.error().contains("no project 'Zephyr'"), run.error());
      assertTrue(run.steps().isEmpty());
      assertTrue(bytes.toString(StandardCharsets.UTF_8).contains(": FAILED (planning: "));
    }
  }

  @Test
  void openAiApiKeySwitchesThePlannerAndTheStepsToThatModelAndNothingElseDoes() {
    ProjectData data = ProjectData.bundled();
    PipelineApp.Models embedded = PipelineApp.models(Map.of("OPENAI_MODEL", "ignored"), data);
    assertInstanceOf(MockLlmClient.class, embedded.llm());
    assertInstanceOf(UpdatePlanner.class, embedded.planner());

    PipelineApp.Models model =
        PipelineApp.models(
            Map.of(
                "OPENAI_API_KEY", "sk-test",
                "OPENAI_BASE_URL", "http://127.0.0.1:9/v1",
                "OPENAI_MODEL", "llama3.2"),
            data);
    assertInstanceOf(Langchain4jLlmClient.class, model.llm());
    assertInstanceOf(LlmPlanner.class, model.planner());
    assertEquals(
        "model llama3.2 at http://127.0.0.1:9/v1, the model plans (LlmPlanner)",
        model.description());
  }
}
