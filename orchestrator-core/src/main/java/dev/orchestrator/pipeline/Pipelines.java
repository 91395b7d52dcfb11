package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.OwnerScope;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.pipeline.Inputs.PlanArtifact;
import dev.orchestrator.pipeline.Inputs.PlanInput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Pipelines on an orchestrator: a run is a planning task whose completion spawns its steps and a
 * verification, all ordinary tasks of the run's chain (retries, timeouts, leases, pause, cancel and
 * lineage as for any task), each labelled with its pipeline, run, stage and round. Install the
 * handlers on every node that runs pipelines, then start runs from any node.
 *
 * <pre>{@code
 * Pipelines pipelines = Pipelines.of(update);
 * Orchestrator orchestrator = pipelines.install(Orchestrator.builder()).build().start();
 * PipelineRun run = pipelines.start(orchestrator, "exec-update", "Prepare an update on X", Map.of());
 * PipelineRun done = pipelines.await(orchestrator, run.id(), Duration.ofMinutes(5));
 * }</pre>
 *
 * <p>Every call takes the orchestrator as a whole, or as one owner sees it ({@link
 * Orchestrator#forOwner}): a run started through an owner's scope is that owner's, all its tasks
 * with it (steps, verification, re-plans, a rerun), so they take turns with other owners' tasks and
 * count in its usage; another owner's scope sees no such run.
 *
 * <p>{@link #pause}, {@link #resume} and {@link #cancel} act on every task of a run.
 */
public final class Pipelines {
  private final Map<String, Pipeline> pipelines;
  private final Triage triage;
  private final Stages stages;

  private Pipelines(Map<String, Pipeline> pipelines, Triage triage) {
    this.pipelines = Map.copyOf(pipelines);
    this.triage = triage;
    this.stages = new Stages(pipelines, triage);
  }

  /** These pipelines; two with one name are refused. */
  public static Pipelines of(Pipeline... pipelines) {
    Map<String, Pipeline> byName = new LinkedHashMap<>();
    for (Pipeline p : pipelines) {
      if (byName.putIfAbsent(p.name(), p) != null) {
        throw new IllegalArgumentException("two pipelines named " + p.name());
      }
    }
    return new Pipelines(byName, null);
  }

  /** These pipelines with a front door that routes requests ({@link #ask}). */
  public Pipelines withTriage(Triage triage) {
    return new Pipelines(pipelines, java.util.Objects.requireNonNull(triage, "triage"));
  }

  /** The pipelines, by name. */
  public Map<String, Pipeline> pipelines() {
    return pipelines;
  }

  /** Registers the handlers of the pipeline stages on a node's builder. */
  public Orchestrator.Builder install(Orchestrator.Builder builder) {
    builder
        .handler(Stages.PLAN, stages::plan)
        .handler(Stages.STEP, stages::step)
        .handler(Stages.VERIFY, stages::verify);
    return triage == null ? builder : builder.handler(Stages.TRIAGE, stages::triage);
  }

  // ---- on the whole orchestrator: every owner's runs are visible, new ones have the default owner

  /** {@link #ask(OwnerScope, String, Map, Duration)} over {@link Orchestrator#everyOwner()}. */
  public Answer ask(
      Orchestrator orchestrator, String request, Map<String, String> context, Duration timeout)
      throws InterruptedException, TimeoutException, java.util.concurrent.ExecutionException {
    return ask(orchestrator.everyOwner(), request, context, timeout);
  }

  /** {@link #start(OwnerScope, String, String, Map)} over {@link Orchestrator#everyOwner()}. */
  public PipelineRun start(
      Orchestrator orchestrator, String pipeline, String goal, Map<String, String> context) {
    return start(orchestrator.everyOwner(), pipeline, goal, context);
  }

  /**
   * {@link #rerun(OwnerScope, UUID, String, JsonNode, String)} over {@link
   * Orchestrator#everyOwner()}: the new run has the old one's owner.
   */
  public PipelineRun rerun(
      Orchestrator orchestrator, UUID runId, String fromStep, JsonNode arguments, String prompt) {
    return rerun(orchestrator.everyOwner(), runId, fromStep, arguments, prompt);
  }

  /** {@link #await(OwnerScope, UUID, Duration)} over {@link Orchestrator#everyOwner()}. */
  public PipelineRun await(Orchestrator orchestrator, UUID runId, Duration timeout)
      throws InterruptedException, TimeoutException {
    return await(orchestrator.everyOwner(), runId, timeout);
  }

  /** {@link #run(OwnerScope, UUID)} over {@link Orchestrator#everyOwner()}. */
  public PipelineRun run(Orchestrator orchestrator, UUID runId) {
    return run(orchestrator.everyOwner(), runId);
  }

  /** {@link #pause(OwnerScope, UUID)} over {@link Orchestrator#everyOwner()}. */
  public void pause(Orchestrator orchestrator, UUID runId) {
    pause(orchestrator.everyOwner(), runId);
  }

  /** {@link #resume(OwnerScope, UUID)} over {@link Orchestrator#everyOwner()}. */
  public void resume(Orchestrator orchestrator, UUID runId) {
    resume(orchestrator.everyOwner(), runId);
  }

  /** {@link #cancel(OwnerScope, UUID)} over {@link Orchestrator#everyOwner()}. */
  public void cancel(Orchestrator orchestrator, UUID runId) {
    cancel(orchestrator.everyOwner(), runId);
  }

  /** {@link #signal(OwnerScope, UUID, String, String)} over {@link Orchestrator#everyOwner()}. */
  public boolean signal(Orchestrator orchestrator, UUID runId, String name, String payload) {
    return signal(orchestrator.everyOwner(), runId, name, payload);
  }

  // ---- as one owner sees them (Orchestrator#forOwner): its runs only, new ones its own

  /**
   * The front door: the triage decides (as a task of its own, traced) whether the request needs one
   * LLM call (started streaming: its output reaches its events as the model writes it) or a
   * pipeline (started, and planned before this returns), and the answer says which, with the run's
   * planned steps and estimated duration.
   *
   * @param timeout how long to wait for the decision and, for a pipeline, its plan
   * @throws InvalidTaskException when no triage is configured, or the request is blank
   * @throws TimeoutException when the decision or the plan took longer
   * @throws java.util.concurrent.ExecutionException when the triage or the planning failed
   */
  public Answer ask(OwnerScope scope, String request, Map<String, String> context, Duration timeout)
      throws InterruptedException, TimeoutException, java.util.concurrent.ExecutionException {
    if (triage == null) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "no triage: use Pipelines.withTriage");
    }
    if (request == null || request.isBlank()) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "a request must not be blank");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Task triaged =
        scope.submit(
            TaskSpec.builder()
                .type(Stages.TRIAGE)
                .name("triage")
                .label(Stages.LABEL_STAGE, "triage")
                .prompt(Json.write(new Inputs.TriageInput(request, context)))
                .build());
    Task decided = finished(scope, triaged.id(), deadline);
    Inputs.TriageArtifact route = Json.read(decided.output(), Inputs.TriageArtifact.class);
    if (route.pipeline() == null) {
      Duration estimate =
          pipelines.values().stream()
              .map(Pipeline::llmStepEstimate)
              .findFirst()
              .orElse(Duration.ofSeconds(3));
      return new Answer(route.started(), null, route.reason(), List.of(), estimate);
    }
    finished(scope, route.started(), deadline);
    PipelineRun run = run(scope, route.started());
    return new Answer(
        run.id(),
        run.pipeline(),
        route.reason(),
        run.plan() == null ? List.of() : run.plan().steps(),
        run.estimate());
  }

  /** The task once terminal: COMPLETED, or an ExecutionException saying why not. */
  private static Task finished(OwnerScope scope, UUID id, long deadline)
      throws InterruptedException, TimeoutException, java.util.concurrent.ExecutionException {
    Task t = scope.await(id).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    if (t.status() != TaskStatus.COMPLETED) {
      throw new java.util.concurrent.ExecutionException(
          t.name() + " " + t.status() + ": " + message(t), null);
    }
    return t;
  }

  /**
   * Starts a run: submits its planning task, which plans and spawns the steps. The run is the
   * scope's owner's (over every owner: the default owner's), and so is every task of it.
   *
   * @throws InvalidTaskException for an unknown pipeline, or any spec the orchestrator refuses
   */
  public PipelineRun start(
      OwnerScope scope, String pipeline, String goal, Map<String, String> context) {
    Pipeline p = known(pipeline);
    if (goal == null || goal.isBlank()) {
      throw new InvalidTaskException(Problem.BAD_FIELD, "a run needs a goal");
    }
    UUID id =
        planning(scope, p, new PlanInput(p.name(), goal, context, 0, null, null, null, null), null);
    return run(scope, id);
  }

  private Pipeline known(String name) {
    Pipeline p = pipelines.get(name);
    if (p == null) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD,
          "no pipeline named '" + name + "' (known: " + pipelines.keySet() + ")");
    }
    return p;
  }

  /**
   * Submits a run's first planning task (for a rerun chained from the old run's {@code after}, with
   * its owner): its id is the run's, which the tasks it spawns carry as their run label.
   */
  private static UUID planning(OwnerScope scope, Pipeline p, PlanInput input, Task after) {
    TaskSpec.Builder spec =
        Stages.labelled(TaskSpec.builder().type(Stages.PLAN), p, null, "plan", 0)
            .name("plan")
            .prompt(Json.write(input))
            .timeout(p.planTimeout())
            .maxAttempts(p.stepMaxAttempts());
    return after == null
        ? scope.submit(spec.build()).id()
        : scope.chain(after.id(), spec.owner(after.owner()).build()).id();
  }

  /**
   * Reruns a finished run from one of its latest round's steps: the steps that do not depend on it
   * (directly or through others) and completed keep their results; it and the steps after it run
   * again, it with {@code arguments} (a TOOL step) or {@code prompt} (an LLM step) when given. The
   * new run is chained from the old one in the lineage, says which run it reruns and has its owner.
   *
   * @throws InvalidTaskException when the run is unknown or still live, or has no such step
   */
  public PipelineRun rerun(
      OwnerScope scope, UUID runId, String fromStep, JsonNode arguments, String prompt) {
    PipelineRun old = run(scope, runId);
    if (!old.status().isTerminal()) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD, "run " + runId + " is " + old.status() + "; rerun a finished run");
    }
    if (old.plan() == null || old.plan().steps().stream().noneMatch(s -> s.id().equals(fromStep))) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD, "run " + runId + " has no step '" + fromStep + "'");
    }
    Set<String> again = new HashSet<>(List.of(fromStep));
    for (Plan.Step s : old.plan().steps()) {
      if (s.dependsOn().stream().anyMatch(again::contains)) {
        again.add(s.id());
      }
    }
    Pipeline p = known(old.pipeline());
    Plan plan = old.plan().withEdit(fromStep, arguments, prompt);
    List<String> problems = plan.problems(p.tools(), p.maxSteps());
    if (!problems.isEmpty()) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD, "the edited step is invalid: " + String.join("; ", problems));
    }
    Map<String, StepResult> reuse = new HashMap<>();
    for (PipelineRun.StepView v : old.steps()) {
      if (!again.contains(v.id()) && v.result() != null && v.result().succeeded()) {
        reuse.put(v.id(), v.result());
      }
    }
    Task first = scope.get(runId).orElseThrow();
    Map<String, String> context = Json.read(first.prompt(), PlanInput.class).context();
    UUID id =
        planning(
            scope,
            p,
            new PlanInput(p.name(), old.goal(), context, 0, null, plan, reuse, runId),
            first);
    return run(scope, id);
  }

  /**
   * Waits until the run is COMPLETED, FAILED or CANCELLED.
   *
   * @throws TimeoutException when it is still live after the timeout
   */
  public PipelineRun await(OwnerScope scope, UUID runId, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      PipelineRun run = run(scope, runId);
      if (run.status().isTerminal()) {
        return run;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException("run " + runId + " is still " + run.status());
      }
      // wait for one live task of the latest round, then look again
      UUID live =
          tasks(scope, runId).stream()
              .filter(t -> !t.status().isTerminal())
              .map(Task::id)
              .findFirst()
              .orElse(null);
      if (live != null) {
        try {
          scope.await(live).get(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException stillLive) {
          // look again
        }
      } else {
        Thread.sleep(10); // a completion whose spawned tasks the store has just written
      }
    }
  }

  /** The run's tasks, oldest first: its first planning task, and those labelled with the run. */
  private static List<Task> tasks(OwnerScope scope, UUID runId) {
    List<Task> tasks = new ArrayList<>();
    scope.get(runId).ifPresent(tasks::add);
    tasks.addAll(scope.list(ofRun(runId)).items());
    tasks.sort(Comparator.comparing(Task::id));
    return tasks;
  }

  private static TaskQuery ofRun(UUID runId) {
    return TaskQuery.builder()
        .label(Stages.LABEL_RUN, runId.toString())
        .limit(TaskQuery.MAX_LIMIT)
        .build();
  }

  /** Pauses a run: no step of it starts until {@link #resume}; a running step finishes. */
  public void pause(OwnerScope scope, UUID runId) {
    run(scope, runId);
    live(scope, runId, scope::pause);
    scope.pauseAll(ofRun(runId));
  }

  /** Applies the action to the run's first task while it is live (it may end meanwhile). */
  private static void live(OwnerScope scope, UUID runId, java.util.function.Consumer<UUID> action) {
    if (scope.get(runId).filter(t -> !t.status().isTerminal()).isPresent()) {
      try {
        action.accept(runId);
      } catch (dev.orchestrator.lifecycle.IllegalTransitionException ended) {
        // it completed first: its steps are what the query covers
      }
    }
  }

  /** Resumes a paused run where it stood. */
  public void resume(OwnerScope scope, UUID runId) {
    run(scope, runId);
    live(scope, runId, scope::resume);
    scope.resumeAll(ofRun(runId));
  }

  /**
   * Sends a signal to the run, waking its WAIT step for that name (see {@link
   * Orchestrator#signal}): the first signal of a name wins. Signals belong to the run's chain, so a
   * rerun's WAIT steps see the signals its earlier run was sent.
   *
   * @return true when this call stored it
   */
  public boolean signal(OwnerScope scope, UUID runId, String name, String payload) {
    run(scope, runId);
    return scope.signal(scope.get(runId).orElseThrow().rootId(), name, payload);
  }

  /** Cancels every live task of a run. */
  public void cancel(OwnerScope scope, UUID runId) {
    run(scope, runId);
    live(scope, runId, id -> scope.cancel(id, "run cancelled"));
    scope.cancelAll(ofRun(runId), "run cancelled");
  }

  /**
   * The run as its tasks show it now.
   *
   * @throws InvalidTaskException when no run has this id
   */
  public PipelineRun run(OwnerScope scope, UUID runId) {
    List<Task> tasks = tasks(scope, runId);
    Task first = tasks.stream().filter(t -> t.id().equals(runId)).findFirst().orElse(null);
    if (first == null || !Stages.PLAN.equals(first.type())) {
      throw new InvalidTaskException(Problem.UNKNOWN_PARENT, "no pipeline run " + runId);
    }
    PlanInput input = Json.read(first.prompt(), PlanInput.class);
    Pipeline p = pipelines.get(input.pipeline());
    int round = tasks.stream().mapToInt(Pipelines::round).max().orElse(0);
    Task plan = stage(tasks, "plan", round);
    Task verify = stage(tasks, "verify", round);
    PlanArtifact planned =
        plan != null && plan.status() == TaskStatus.COMPLETED
            ? Json.read(plan.output(), PlanArtifact.class)
            : null;
    Map<String, Task> stepTasks = new HashMap<>();
    for (Task t : tasks) {
      if (Stages.STEP.equals(t.type()) && round(t) == round) {
        stepTasks.put(t.labels().get(Stages.LABEL_STEP), t);
      }
    }
    List<PipelineRun.StepView> steps = new ArrayList<>();
    List<String> current = new ArrayList<>();
    int completed = 0;
    Task failedStep = null;
    if (planned != null) {
      for (Plan.Step s : planned.plan().steps()) {
        Task t = stepTasks.get(s.id());
        StepResult result =
            t != null && t.status() == TaskStatus.COMPLETED
                ? Json.read(t.output(), StepResult.class)
                : null;
        if (result != null) {
          completed++;
        }
        if (t != null && t.status() == TaskStatus.RUNNING) {
          current.add(s.id());
        }
        if (t != null && t.status() == TaskStatus.FAILED && failedStep == null) {
          failedStep = t;
        }
        steps.add(
            new PipelineRun.StepView(
                s.id(),
                s.kind(),
                s.description(),
                s.tool(),
                t == null ? null : t.id(),
                t == null ? null : t.status(),
                t == null ? 0 : t.attempt(),
                result));
      }
    }
    Verification verification =
        verify != null && verify.status() == TaskStatus.COMPLETED
            ? Json.read(verify.output(), Verification.class)
            : null;
    PipelineRun.Status status;
    String error = null;
    if (plan == null) {
      status = PipelineRun.Status.PLANNING; // a re-plan spawned, not yet visible
    } else if (plan.status() == TaskStatus.FAILED || plan.status() == TaskStatus.CANCELLED) {
      status =
          plan.status() == TaskStatus.FAILED
              ? PipelineRun.Status.FAILED
              : PipelineRun.Status.CANCELLED;
      error = "planning: " + message(plan);
    } else if (planned == null) {
      status = PipelineRun.Status.PLANNING;
    } else if (verification != null) {
      status = verification.passed() ? PipelineRun.Status.COMPLETED : PipelineRun.Status.PLANNING;
    } else if (verify != null && verify.status() == TaskStatus.FAILED) {
      status = PipelineRun.Status.FAILED;
      error = message(verify);
    } else if (failedStep != null) {
      status = PipelineRun.Status.FAILED;
      error = "step " + failedStep.labels().get(Stages.LABEL_STEP) + ": " + message(failedStep);
    } else if (verify != null && verify.status() == TaskStatus.CANCELLED) {
      status = PipelineRun.Status.CANCELLED;
      error = message(verify);
    } else if (steps.stream().anyMatch(s -> s.status() == TaskStatus.CANCELLED)) {
      status = PipelineRun.Status.CANCELLED;
      error = "a step was cancelled";
    } else if (verify != null && verify.status() == TaskStatus.RUNNING) {
      status = PipelineRun.Status.VERIFYING;
    } else {
      status = PipelineRun.Status.RUNNING;
    }
    if (status.isTerminal() && tasks.stream().anyMatch(t -> !t.status().isTerminal())) {
      // a run ends when its last task does: the cancels that follow a failure, a step that does
      // not depend on the failed one, are still on their way
      status = PipelineRun.Status.RUNNING;
    }
    boolean paused = tasks.stream().anyMatch(t -> t.paused() && !t.status().isTerminal());
    return new PipelineRun(
        runId,
        input.pipeline(),
        input.goal(),
        status,
        paused,
        round,
        planned == null ? null : planned.plan(),
        steps,
        completed,
        current,
        verification,
        status == PipelineRun.Status.COMPLETED ? verification.result() : null,
        error,
        planned == null || p == null ? null : estimate(p, planned.plan()),
        trace(tasks),
        input.rerunOf());
  }

  private static int round(Task t) {
    String r = t.labels().get(Stages.LABEL_ROUND);
    return r == null ? 0 : Integer.parseInt(r);
  }

  private static Task stage(List<Task> tasks, String stage, int round) {
    return tasks.stream()
        .filter(t -> stage.equals(t.labels().get(Stages.LABEL_STAGE)) && round(t) == round)
        .findFirst()
        .orElse(null);
  }

  private static String message(Task t) {
    return t.error() == null ? t.status().name() : t.error().message();
  }

  /** Every completed stage's trace entries, stage by stage in the order the tasks were made. */
  private static List<Trace> trace(List<Task> tasks) {
    List<Trace> trace = new ArrayList<>();
    for (Task t : tasks) {
      if (t.status() != TaskStatus.COMPLETED || t.output() == null) {
        continue;
      }
      switch (t.labels().getOrDefault(Stages.LABEL_STAGE, "")) {
        case "plan" -> trace.addAll(Json.read(t.output(), PlanArtifact.class).trace());
        case "step" -> trace.addAll(Json.read(t.output(), StepResult.class).trace());
        case "verify" -> trace.addAll(Json.read(t.output(), Verification.class).trace());
        default -> {}
      }
    }
    return trace;
  }

  /** The plan's critical path: each step's typical duration after its dependencies' longest. */
  static Duration estimate(Pipeline p, Plan plan) {
    Map<String, Duration> doneBy = new HashMap<>();
    Duration longest = Duration.ZERO;
    for (Plan.Step s : plan.steps()) {
      Duration start =
          s.dependsOn().stream()
              .map(doneBy::get)
              .max(Comparator.naturalOrder())
              .orElse(Duration.ZERO);
      Duration own =
          switch (s.kind()) {
            case TOOL -> p.tools().tool(s.tool()).map(Tool::typicalDuration).orElse(Duration.ZERO);
            case LLM, SUMMARIZE -> p.llmStepEstimate();
            case CHECKPOINT, WAIT -> Duration.ZERO;
          };
      Duration end = start.plus(own);
      doneBy.put(s.id(), end);
      longest = end.compareTo(longest) > 0 ? end : longest;
    }
    return longest;
  }
}
