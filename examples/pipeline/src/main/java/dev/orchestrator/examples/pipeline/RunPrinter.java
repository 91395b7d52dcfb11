package dev.orchestrator.examples.pipeline;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.StepResult;
import dev.orchestrator.pipeline.ToolRegistry;
import dev.orchestrator.pipeline.Trace;
import dev.orchestrator.pipeline.Verification;
import dev.orchestrator.spi.TaskListener;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Prints a run as it goes: each round's plan when it is made, each step when it ends, a failed
 * verification that re-plans; then, at the end, the verdict, the final artifact and the totals. It
 * hears the orchestrator's events (on the orchestrator's listener thread) and reads the task that
 * ended; stage, run and round come from the labels {@link dev.orchestrator.pipeline.Pipelines} puts
 * on every task of a run.
 */
final class RunPrinter implements TaskListener {
  // the labels of a run's tasks (the first planning task has no run label: its id is the run's)
  private static final String LABEL_RUN = "pipeline.run";
  private static final String LABEL_STAGE = "pipeline.stage";
  private static final String LABEL_ROUND = "pipeline.round";
  private static final String PLAN_ROW = "  %-10s %-5s %-16s %-35s %s%n";
  private static final String STEP_ROW = "  %-10s %-18s %8s %8s %10s %10s%n";
  private static final String RULE = "-".repeat(78);

  /** The stages' artifacts, as stored as their tasks' outputs. */
  private static final ObjectMapper ARTIFACTS =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Orchestrator orchestrator;
  private final PrintStream out;
  private final List<UUID> ended =
      new ArrayList<>(); // tasks that ended before the run id was known
  private final Set<UUID> printed = new HashSet<>();
  private UUID runId;
  private boolean stepHeader;
  private boolean finished;

  RunPrinter(Orchestrator orchestrator, PrintStream out) {
    this.orchestrator = orchestrator;
    this.out = out;
  }

  synchronized void header(String goal, String setup, ToolRegistry tools) {
    out.println("goal:  " + goal);
    out.println("setup: " + setup);
    out.println(
        "tools: "
            + tools.tools().stream()
                .map(
                    t ->
                        String.format(
                            Locale.ROOT,
                            "%s (timeout %d s, %d attempt%s)",
                            t.name(),
                            t.timeout().toSeconds(),
                            t.maxAttempts(),
                            t.maxAttempts() == 1 ? "" : "s"))
                .collect(Collectors.joining(", ")));
  }

  @Override
  public synchronized void onEvent(TaskEvent event) {
    if (finished || !event.isTransition() || !event.to().isTerminal()) {
      return;
    }
    if (runId == null) {
      ended.add(event.taskId());
    } else {
      print(event.taskId());
    }
  }

  /** From now on, prints the tasks of this run (and those of it that ended already). */
  synchronized void follow(UUID run) {
    runId = run;
    ended.forEach(this::print);
    ended.clear();
  }

  private void print(UUID taskId) {
    Task t = orchestrator.get(taskId).orElse(null);
    if (t == null
        || !(t.id().equals(runId) || runId.toString().equals(t.labels().get(LABEL_RUN)))
        || !printed.add(taskId)) {
      return;
    }
    String round = t.labels().getOrDefault(LABEL_ROUND, "0");
    try {
      switch (t.labels().getOrDefault(LABEL_STAGE, "")) {
        case "plan" -> {
          if (t.status() == TaskStatus.COMPLETED) {
            plan(round, ARTIFACTS.readTree(t.output()).path("plan"));
          } else {
            out.println("\nplanning (round " + round + ") " + t.status() + ": " + error(t));
          }
        }
        case "step" -> step(t);
        case "verify" -> {
          if (t.status() == TaskStatus.COMPLETED) {
            Verification v = ARTIFACTS.readValue(t.output(), Verification.class);
            if (!v.passed()) {
              out.println("\nverification (round " + round + "): FAILED, re-planning");
              v.findings().forEach(f -> out.println("  - " + f));
            }
          }
        }
        default -> {}
      }
    } catch (IOException e) {
      out.println("(cannot read the artifact of task " + taskId + ": " + e.getMessage() + ")");
    }
    out.flush();
    notifyAll();
  }

  private void plan(String round, JsonNode node) throws IOException {
    Plan plan = ARTIFACTS.treeToValue(node, Plan.class);
    out.println();
    out.println("plan (round " + round + "): " + plan.steps().size() + " steps");
    out.printf(PLAN_ROW, "step", "kind", "tool", "depends on", "for");
    for (Plan.Step s : plan.steps()) {
      out.printf(
          PLAN_ROW,
          s.id(),
          s.kind(),
          s.tool() == null ? "-" : s.tool(),
          s.dependsOn().isEmpty() ? "-" : String.join(", ", s.dependsOn()),
          s.description());
    }
    stepHeader = false;
  }

  private void step(Task t) throws IOException {
    if (!stepHeader) {
      out.println();
      out.println("steps, as they end:");
      out.printf(STEP_ROW, "step", "tool / model", "attempts", "ms", "tokens in", "tokens out");
      stepHeader = true;
    }
    String id = t.name();
    if (t.status() != TaskStatus.COMPLETED) {
      out.printf("  %-10s %-18s %8d  %s: %s%n", id, "", t.attempt(), t.status(), error(t));
      return;
    }
    StepResult r = ARTIFACTS.readValue(t.output(), StepResult.class);
    out.printf(
        STEP_ROW,
        id,
        r.tool() != null ? r.tool() : "llm " + model(r.trace()),
        t.attempt(),
        r.millis(),
        r.inputTokens(),
        r.outputTokens());
  }

  private static String model(List<Trace> trace) {
    return trace.stream()
        .filter(e -> e.kind().equals("llm"))
        .map(Trace::name)
        .findFirst()
        .orElse("-");
  }

  private static String error(Task t) {
    return t.error() == null ? "" : t.error().message();
  }

  /**
   * Waits (up to a few seconds) until every step of the run's last round that ended is printed,
   * then prints the verdict, the final artifact and the totals, and stops listening.
   */
  synchronized void finish(PipelineRun run, Duration wall) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!allPrinted(run) && System.nanoTime() < deadline) {
      wait(50);
    }
    finished = true;
    out.println();
    Verification v = run.verification();
    if (v != null) {
      out.println("verification (round " + v.round() + "): " + (v.passed() ? "PASSED" : "FAILED"));
      if (v.findings().isEmpty()) {
        out.println("  findings: none");
      }
      v.findings().forEach(f -> out.println("  - " + f));
    }
    if (run.result() != null) {
      out.println();
      out.println("final artifact:");
      out.println(RULE);
      out.println(run.result().stripTrailing());
      out.println(RULE);
    }
    long calls = run.trace().stream().filter(e -> e.kind().equals("llm")).count();
    long in = run.trace().stream().mapToLong(Trace::inputTokens).sum();
    long outTokens = run.trace().stream().mapToLong(Trace::outputTokens).sum();
    out.printf(
        Locale.ROOT,
        "%ntotals: %d round(s) of %d steps, %d LLM call(s), %d tokens in / %d out, wall %.2f s%n",
        run.round() + 1,
        run.totalSteps(),
        calls,
        in,
        outTokens,
        wall.toMillis() / 1000.0);
    out.println(
        "run "
            + run.id()
            + ": "
            + run.status()
            + (run.error() == null ? "" : " (" + run.error() + ")"));
    out.flush();
  }

  private boolean allPrinted(PipelineRun run) {
    return run.steps().stream()
        .filter(s -> s.taskId() != null && s.status() != null && s.status().isTerminal())
        .allMatch(s -> printed.contains(s.taskId()));
  }
}
