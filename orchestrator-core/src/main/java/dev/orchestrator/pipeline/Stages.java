package dev.orchestrator.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.llm.LlmMessage;
import dev.orchestrator.llm.LlmRequest;
import dev.orchestrator.llm.LlmResponse;
import dev.orchestrator.llm.ToolCall;
import dev.orchestrator.llm.ToolSpec;
import dev.orchestrator.pipeline.Inputs.PlanArtifact;
import dev.orchestrator.pipeline.Inputs.PlanInput;
import dev.orchestrator.pipeline.Inputs.StepInput;
import dev.orchestrator.pipeline.Inputs.VerifyInput;
import dev.orchestrator.retry.FatalTaskException;
import dev.orchestrator.spi.HandlerResult;
import dev.orchestrator.spi.TaskContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The handlers of a pipeline's three kinds of task. A planning task runs the planner and spawns one
 * task per step (their dependencies as the plan says) and a verification task after all of them,
 * with its completion; a step task runs its step from its inputs and its dependencies' results; a
 * verification task judges the round and passes, spawns the next planning round, or fails. Every
 * stage's output is its artifact (JSON), so each finished step is a checkpoint: a run resumed after
 * a crash runs only what had not completed.
 */
final class Stages {
  static final String PLAN = "pipeline.plan";
  static final String STEP = "pipeline.step";
  static final String VERIFY = "pipeline.verify";
  static final String TRIAGE = "pipeline.triage";

  static final String LABEL_PIPELINE = "pipeline";
  static final String LABEL_RUN = "pipeline.run";
  static final String LABEL_STAGE = "pipeline.stage";
  static final String LABEL_STEP = "pipeline.step";
  static final String LABEL_ROUND = "pipeline.round";

  /** Rounds of tool calls an LLM step may make before it must answer. */
  static final int MAX_TOOL_ROUNDS = 8;

  private final Map<String, Pipeline> pipelines;
  private final Triage triage;

  Stages(Map<String, Pipeline> pipelines, Triage triage) {
    this.pipelines = Map.copyOf(pipelines);
    this.triage = triage;
  }

  // ---- the front door ----

  /**
   * Routes a request: to one LLM call (streamed), or to a pipeline's first planning task, spawned
   * with the decision; the decision and what it started are the artifact.
   */
  HandlerResult triage(TaskContext ctx) throws Exception {
    Inputs.TriageInput in = Json.read(ctx.task().prompt(), Inputs.TriageInput.class);
    Stage stage = new Stage(ctx, null);
    if (triage == null) {
      throw new FatalTaskException("no triage is configured on this node");
    }
    Triage.Route route = triage.route(in.request(), in.context(), stage);
    stage.decide(route.isSingle() ? "single call" : "pipeline " + route.pipeline(), route.reason());
    Task started;
    if (route.isSingle()) {
      started =
          ctx.spawn(
              TaskSpec.prompt(in.request()).name("answer").label(LABEL_STAGE, "answer").stream(true)
                  .build());
    } else {
      Pipeline p = pipeline(route.pipeline());
      started =
          ctx.spawn(
              labelled(TaskSpec.builder().type(PLAN), p, null, "plan", 0)
                  .name("plan")
                  .prompt(
                      Json.write(
                          new PlanInput(
                              p.name(), in.request(), in.context(), 0, null, null, null, null)))
                  .timeout(p.planTimeout())
                  .maxAttempts(p.stepMaxAttempts())
                  .build());
    }
    return HandlerResult.of(
        Json.write(
            new Inputs.TriageArtifact(
                route.pipeline(), route.reason(), started.id(), stage.trace())));
  }

  Pipeline pipeline(String name) {
    Pipeline p = pipelines.get(name);
    if (p == null) {
      throw new FatalTaskException("no pipeline named '" + name + "' on this node");
    }
    return p;
  }

  // ---- planning ----

  HandlerResult plan(TaskContext ctx) throws Exception {
    PlanInput in = Json.read(ctx.task().prompt(), PlanInput.class);
    Pipeline p = pipeline(in.pipeline());
    Stage stage = new Stage(ctx, p.model());
    Plan plan;
    if (in.fixed() != null) {
      plan = in.fixed();
      stage.decide(
          "plan", "the plan of run " + in.rerunOf() + ", " + in.reuse().size() + " steps reused");
    } else {
      plan =
          p.planner()
              .plan(
                  new Planner.Request(
                      in.goal(), in.context(), in.round(), in.findings(), p.tools(), p.maxSteps()),
                  stage);
    }
    List<String> problems = plan.problems(p.tools(), p.maxSteps());
    if (!problems.isEmpty()) {
      throw new FatalTaskException("invalid plan: " + String.join("; ", problems));
    }
    String run = run(ctx.task());
    Map<String, UUID> ids = new HashMap<>();
    for (Plan.Step s : plan.steps()) {
      StepInput input =
          new StepInput(p.name(), in.goal(), in.context(), in.round(), s, in.reuse().get(s.id()));
      TaskSpec.Builder spec =
          labelled(TaskSpec.builder().type(STEP), p, run, "step", in.round())
              .label(LABEL_STEP, s.id())
              .name(s.id())
              .prompt(Json.write(input))
              .dependsOn(s.dependsOn().stream().map(ids::get).toList());
      if (s.kind() == Plan.Kind.TOOL) {
        Tool tool = p.tools().tool(s.tool()).orElseThrow();
        spec.timeout(tool.timeout())
            .maxAttempts(tool.maxAttempts())
            .retryPolicy(tool.retryPolicy());
      } else {
        spec.timeout(p.stepTimeout()).maxAttempts(p.stepMaxAttempts());
      }
      ids.put(s.id(), ctx.spawn(spec.build()).id());
    }
    ctx.spawn(
        labelled(TaskSpec.builder().type(VERIFY), p, run, "verify", in.round())
            .name("verify")
            .prompt(
                Json.write(new VerifyInput(p.name(), in.goal(), in.context(), in.round(), plan)))
            .dependsOn(new ArrayList<>(ids.values()))
            .timeout(p.verifyTimeout())
            .maxAttempts(p.stepMaxAttempts())
            .build());
    return HandlerResult.of(
        Json.write(new PlanArtifact(in.round(), plan, stage.trace(), in.rerunOf())));
  }

  /** The spec with its stage's labels; a run's first planning task has no run label (its id). */
  static TaskSpec.Builder labelled(
      TaskSpec.Builder spec, Pipeline p, String run, String stage, int round) {
    if (run != null) {
      spec.label(LABEL_RUN, run);
    }
    return spec.label(LABEL_PIPELINE, p.name())
        .label(LABEL_STAGE, stage)
        .label(LABEL_ROUND, Integer.toString(round));
  }

  /** The run a stage's task belongs to. */
  private static String run(Task task) {
    return task.labels().getOrDefault(LABEL_RUN, task.id().toString());
  }

  // ---- steps ----

  HandlerResult step(TaskContext ctx) throws Exception {
    StepInput in = Json.read(ctx.task().prompt(), StepInput.class);
    Pipeline p = pipeline(in.pipeline());
    Stage stage = new Stage(ctx, p.model());
    Plan.Step s = in.step();
    if (in.reused() != null) {
      stage.decide("reused", "the result of step " + s.id() + " in the run this one reruns");
      List<Trace> trace = new ArrayList<>(in.reused().trace());
      trace.addAll(stage.trace());
      StepResult r = in.reused();
      return HandlerResult.of(
          Json.write(
              new StepResult(
                  r.step(),
                  r.kind(),
                  r.tool(),
                  r.input(),
                  r.output(),
                  r.error(),
                  r.millis(),
                  r.inputTokens(),
                  r.outputTokens(),
                  trace)));
    }
    Map<String, String> values = values(in, ctx);
    long start = System.nanoTime();
    JsonNode input = null;
    String output = null;
    String error = null;
    try {
      switch (s.kind()) {
        case TOOL -> {
          input = References.fill(s.arguments(), values);
          output = callTool(p.tools().tool(s.tool()).orElseThrow(), input, stage);
        }
        case LLM -> {
          String prompt = withinContext(p, s.prompt(), values, stage);
          input = TextNode.valueOf(prompt);
          output = llm(p, s, prompt, stage);
        }
        case CHECKPOINT -> {
          input = Json.MAPPER.valueToTree(s.dependsOn());
          output = Json.write(dependencyOutputs(ctx));
        }
        case SUMMARIZE -> {
          Map<String, String> outputs = dependencyOutputs(ctx);
          input = Json.MAPPER.valueToTree(outputs.keySet());
          output = summarise(p, outputs, stage);
        }
        case WAIT -> {
          String name = s.tool();
          input = TextNode.valueOf(name);
          java.util.Optional<String> signal = ctx.signal(name);
          if (signal.isPresent()) {
            stage.decide("signal " + name, "arrived");
            output = signal.get();
          } else if (name.equals(ctx.task().awaiting())) {
            if (!p.skipWaitOnTimeout()) {
              throw new FatalTaskException(
                  "no signal '" + name + "' came within " + p.waitTimeout());
            }
            stage.decide("signal " + name, "none within " + p.waitTimeout() + ": skipped");
            output = "(no signal '" + name + "')";
          } else {
            // no worker is held while it waits: the task sleeps until the signal or the timeout
            return HandlerResult.awaitSignal(name, p.waitTimeout());
          }
        }
      }
    } catch (Exception e) {
      boolean last =
          ctx.task().attempt() >= ctx.task().maxAttempts() || e instanceof FatalTaskException;
      if (p.failFast() || !last || e instanceof InterruptedException) {
        throw e;
      }
      error = e.getClass().getSimpleName() + ": " + e.getMessage();
      stage.decide(
          "step failed", error + " (the pipeline does not fail fast: the verifier judges)");
    }
    return HandlerResult.of(
        Json.write(
            new StepResult(
                s.id(),
                s.kind(),
                s.tool(),
                input,
                output,
                error,
                (System.nanoTime() - start) / 1_000_000,
                stage.inputTokens(),
                stage.outputTokens(),
                stage.trace())));
  }

  /** What the step's references may read: the goal, the context, its dependencies' outputs. */
  private static Map<String, String> values(StepInput in, TaskContext ctx) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("goal", in.goal());
    in.context().forEach((k, v) -> values.put("context." + k, v));
    dependencyOutputs(ctx).forEach((id, out) -> values.put("steps." + id + ".output", out));
    return values;
  }

  /** The outputs of the step's dependencies (its parents other than the planning task), by id. */
  private static Map<String, String> dependencyOutputs(TaskContext ctx) {
    Map<String, String> outputs = new LinkedHashMap<>();
    for (Task parent : ctx.parents()) {
      if (STEP.equals(parent.type())) {
        StepResult r = Json.read(parent.output(), StepResult.class);
        outputs.put(r.step(), r.output() == null ? "(failed: " + r.error() + ")" : r.output());
      }
    }
    return outputs;
  }

  private static String callTool(Tool tool, JsonNode arguments, Stage stage) throws Exception {
    Instant at = Instant.now();
    long start = System.nanoTime();
    try {
      String result = tool.function().call(arguments);
      stage.traced(
          Trace.of(
              at, "tool", tool.name(), arguments.toString(), result, 0, 0, millisSince(start)));
      return result;
    } catch (Exception e) {
      stage.traced(
          Trace.of(
              at,
              "error",
              tool.name(),
              arguments.toString(),
              e.toString(),
              0,
              0,
              millisSince(start)));
      throw e;
    }
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  /**
   * An LLM step's call: with tools offered, the model's tool calls are run and their results sent
   * back, for at most {@value #MAX_TOOL_ROUNDS} rounds, until it answers with text.
   */
  private static String llm(Pipeline p, Plan.Step s, String prompt, Stage stage) throws Exception {
    List<ToolSpec> specs = new ArrayList<>();
    for (String name : s.tools()) {
      Tool t = p.tools().tool(name).orElseThrow();
      specs.add(new ToolSpec(t.name(), t.description(), t.parameters().toString()));
    }
    LlmRequest request = LlmRequest.of(p.model(), prompt).withTools(specs);
    for (int round = 0; round <= MAX_TOOL_ROUNDS; round++) {
      LlmResponse r = stage.callLlm(request);
      if (!r.hasToolCalls()) {
        return r.text();
      }
      List<LlmMessage> turns = new ArrayList<>();
      turns.add(r.toMessage());
      for (ToolCall call : r.toolCalls()) {
        Tool tool =
            p.tools()
                .tool(call.name())
                .filter(t -> s.tools().contains(t.name()))
                .orElseThrow(
                    () -> new FatalTaskException("the model called unoffered tool " + call.name()));
        String result;
        try {
          result = callTool(tool, Json.MAPPER.readTree(call.arguments()), stage);
        } catch (Exception e) {
          if (e instanceof InterruptedException) {
            throw e;
          }
          result = "error: " + e.getMessage(); // the model may try another way
        }
        turns.add(LlmMessage.toolResult(call, result));
      }
      request = request.plusTurns(turns.toArray(LlmMessage[]::new));
    }
    throw new FatalTaskException(
        "step " + s.id() + " was still calling tools after " + MAX_TOOL_ROUNDS + " rounds");
  }

  /**
   * The step's prompt with its references filled in; when that exceeds the pipeline's context
   * limit, the older outputs it reads (all but the latest) are first replaced by one summary.
   */
  private static String withinContext(
      Pipeline p, String prompt, Map<String, String> values, Stage stage) throws Exception {
    String filled = References.fill(prompt, values);
    if (p.contextTokenLimit() == 0 || tokens(filled) <= p.contextTokenLimit()) {
      return filled;
    }
    // the outputs it reads, in the order of its dependencies: the latest is kept as it is
    List<String> read =
        values.keySet().stream().filter(k -> k.startsWith("steps.") && prompt.contains(k)).toList();
    if (read.isEmpty()) {
      return filled;
    }
    List<String> older = read.size() == 1 ? read : read.subList(0, read.size() - 1);
    Map<String, String> texts = new LinkedHashMap<>();
    older.forEach(k -> texts.put(k, values.get(k)));
    stage.decide(
        "summarise context",
        "the prompt reached "
            + tokens(filled)
            + " tokens, over the limit of "
            + p.contextTokenLimit()
            + ": "
            + older
            + " summarised");
    String summary = summarise(p, texts, stage);
    Map<String, String> shorter = new LinkedHashMap<>(values);
    older.forEach(k -> shorter.put(k, "(in the summary above)"));
    shorter.put(older.get(0), summary);
    return References.fill(prompt, shorter);
  }

  private static long tokens(String text) {
    return (text.length() + 3) / 4;
  }

  private static String summarise(Pipeline p, Map<String, String> texts, Stage stage)
      throws Exception {
    StringBuilder prompt =
        new StringBuilder(
            "Summarise the following briefly, keeping every figure, name, date and risk:\n");
    texts.forEach((k, v) -> prompt.append("## ").append(k).append('\n').append(v).append('\n'));
    return stage.callLlm(LlmRequest.of(p.model(), prompt.toString())).text();
  }

  // ---- verification ----

  HandlerResult verify(TaskContext ctx) throws Exception {
    VerifyInput in = Json.read(ctx.task().prompt(), VerifyInput.class);
    Pipeline p = pipeline(in.pipeline());
    Stage stage = new Stage(ctx, p.model());
    Map<String, StepResult> byId = new HashMap<>();
    for (Task parent : ctx.parents()) {
      if (STEP.equals(parent.type())) {
        StepResult r = Json.read(parent.output(), StepResult.class);
        byId.put(r.step(), r);
      }
    }
    List<StepResult> results =
        in.plan().steps().stream().map(s -> byId.get(s.id())).filter(r -> r != null).toList();
    List<Plan.Step> steps = in.plan().steps();
    StepResult last = byId.get(steps.get(steps.size() - 1).id());
    String result = last == null ? null : last.output();
    Verdict verdict =
        p.verifier()
            .verify(
                new RunOutcome(in.goal(), in.context(), in.round(), in.plan(), results, result),
                stage);
    stage.decide(verdict.passed() ? "passed" : "failed", String.join("; ", verdict.findings()));
    if (verdict.passed()) {
      return HandlerResult.of(
          Json.write(
              new Verification(
                  in.round(), true, verdict.findings(), false, result, stage.trace())));
    }
    if (in.round() >= p.maxReplans()) {
      throw new FatalTaskException(
          "verification failed after "
              + (in.round() + 1)
              + " round(s): "
              + String.join("; ", verdict.findings()));
    }
    String run = run(ctx.task());
    ctx.spawn(
        labelled(TaskSpec.builder().type(PLAN), p, run, "plan", in.round() + 1)
            .name("plan")
            .prompt(
                Json.write(
                    new PlanInput(
                        p.name(),
                        in.goal(),
                        in.context(),
                        in.round() + 1,
                        verdict.findings(),
                        null,
                        null,
                        null)))
            .timeout(p.planTimeout())
            .maxAttempts(p.stepMaxAttempts())
            .build());
    return HandlerResult.of(
        Json.write(
            new Verification(in.round(), false, verdict.findings(), true, null, stage.trace())));
  }
}
