package dev.orchestrator.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.OwnerScope;
import dev.orchestrator.pipeline.Pipeline;
import dev.orchestrator.pipeline.PipelineRun;
import dev.orchestrator.pipeline.Pipelines;
import dev.orchestrator.pipeline.Plan;
import dev.orchestrator.pipeline.Tool;
import dev.orchestrator.pipeline.Trace;
import dev.orchestrator.spring.OrchestratorProperties;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The REST API over pipelines, beside {@link TaskApiController}, when the application has {@link
 * Pipelines}: the pipelines and their tools; start a run, read it (plan, steps with their
 * artifacts, progress, verification, result) and its trace; pause, resume, cancel; rerun from a
 * step.
 *
 * <p>Runs follow the owner rules of tasks ({@link OwnerResolver}): a run a request starts is its
 * owner's, with every task of it; a request scoped to an owner sees and changes only its own runs
 * (another owner's answers 404, as an unknown id does), one for every owner sees them all. The
 * pipelines and tools themselves are the service's configuration, shown to every request.
 */
@RestController
@RequestMapping(
    path = "${orchestrator.web.base-path:/orchestrator/api}",
    produces = MediaType.APPLICATION_JSON_VALUE)
public class PipelineApiController {
  /** Trace entries a request gets unless it asks for another number. */
  static final int DEFAULT_TRACE = 100;

  /** The type of a run's planning tasks; a run's id is its first one's. */
  static final String PLAN_TYPE = "pipeline.plan";

  /** The label that names a stage's run; a run's first planning task has none (its id is it). */
  static final String RUN_LABEL = "pipeline.run";

  private final Orchestrator orchestrator;
  private final Pipelines pipelines;
  private final OwnerResolver owners;
  private final OrchestratorProperties properties;

  public PipelineApiController(
      Orchestrator orchestrator,
      Pipelines pipelines,
      OwnerResolver owners,
      OrchestratorProperties properties) {
    this.orchestrator = orchestrator;
    this.pipelines = pipelines;
    this.owners = owners;
    this.properties = properties;
  }

  private static ResponseEntity<String> ok(Object body) {
    return ResponseEntity.ok(ApiJson.write(body));
  }

  private ResponseEntity<String> created(HttpServletRequest request, PipelineRun run) {
    URI location =
        URI.create(
            request.getContextPath() + properties.getWeb().getBasePath() + "/runs/" + run.id());
    return ResponseEntity.created(location).body(ApiJson.write(view(run)));
  }

  // ---- pipelines and tools ----

  @GetMapping("/pipelines")
  public ResponseEntity<String> list(HttpServletRequest request) {
    owners.resolve(request); // the same owner rules as every other call
    List<Map<String, Object>> body = new ArrayList<>();
    pipelines.pipelines().values().stream()
        .sorted(Comparator.comparing(Pipeline::name))
        .forEach(p -> body.add(view(p)));
    return ok(body);
  }

  /** Every tool of every pipeline, once per tool, with the pipelines that have it. */
  @GetMapping("/tools")
  public ResponseEntity<String> tools(HttpServletRequest request) {
    owners.resolve(request);
    Map<Tool, List<String>> byTool = new IdentityHashMap<>();
    List<Tool> order = new ArrayList<>();
    pipelines.pipelines().values().stream()
        .sorted(Comparator.comparing(Pipeline::name))
        .forEach(
            p ->
                p.tools()
                    .tools()
                    .forEach(
                        t -> {
                          if (!byTool.containsKey(t)) {
                            order.add(t);
                          }
                          byTool.computeIfAbsent(t, k -> new ArrayList<>()).add(p.name());
                        }));
    order.sort(Comparator.comparing(Tool::name));
    List<Map<String, Object>> body = new ArrayList<>();
    for (Tool t : order) {
      Map<String, Object> v = view(t);
      v.put("pipelines", byTool.get(t));
      body.add(v);
    }
    return ok(body);
  }

  // ---- runs ----

  /** Starts a run (201, with its Location): its planning task, which spawns the steps. */
  @PostMapping("/pipelines/{name}/runs")
  public ResponseEntity<String> start(HttpServletRequest request, @PathVariable String name) {
    OwnerScope scope = owners.scope(orchestrator, request);
    if (!pipelines.pipelines().containsKey(name)) {
      throw new ApiProblem(
          404,
          "not-found",
          "No such pipeline",
          "no pipeline named '" + name + "' (known: " + pipelines.pipelines().keySet() + ")",
          Map.of());
    }
    RunRequest body =
        ApiJson.read(request, properties.getWeb().getMaxBodyBytes(), RunRequest.class, false);
    return created(request, pipelines.start(scope, name, body.goal(), body.checkedContext()));
  }

  @GetMapping("/runs/{id}")
  public ResponseEntity<String> get(HttpServletRequest request, @PathVariable UUID id) {
    return ok(view(run(owners.scope(orchestrator, request), id)));
  }

  /** The run's latest trace entries (of every stage so far, oldest first), and how many it has. */
  @GetMapping("/runs/{id}/trace")
  public ResponseEntity<String> trace(
      HttpServletRequest request,
      @PathVariable UUID id,
      @RequestParam(required = false) Integer limit) {
    OwnerScope scope = owners.scope(orchestrator, request);
    int max = properties.getWeb().getMaxPageSize();
    int n = limit == null ? Math.min(DEFAULT_TRACE, max) : limit;
    if (n < 1 || n > max) {
      throw ApiProblem.badRequest("limit must be 1.." + max + ": " + n);
    }
    List<Trace> trace = run(scope, id).trace();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("total", trace.size());
    body.put("items", trace.subList(Math.max(0, trace.size() - n), trace.size()));
    return ok(body);
  }

  /** Pauses a live run: none of its steps starts until it is resumed; a running one finishes. */
  @PostMapping("/runs/{id}/pause")
  public ResponseEntity<String> pause(HttpServletRequest request, @PathVariable UUID id) {
    return change(request, id, "paused", pipelines::pause);
  }

  @PostMapping("/runs/{id}/resume")
  public ResponseEntity<String> resume(HttpServletRequest request, @PathVariable UUID id) {
    return change(request, id, "resumed", pipelines::resume);
  }

  @PostMapping("/runs/{id}/cancel")
  public ResponseEntity<String> cancel(HttpServletRequest request, @PathVariable UUID id) {
    return change(request, id, "cancelled", pipelines::cancel);
  }

  /** Applies the change to a live run (409 once it ended) and answers the run after it. */
  private ResponseEntity<String> change(
      HttpServletRequest request,
      UUID id,
      String what,
      java.util.function.BiConsumer<OwnerScope, UUID> change) {
    OwnerScope scope = owners.scope(orchestrator, request);
    PipelineRun run = run(scope, id);
    if (run.status().isTerminal()) {
      throw new ApiProblem(
          409,
          "illegal-transition",
          "The run is finished",
          "run " + id + " is " + run.status() + " and cannot be " + what,
          Map.of());
    }
    change.accept(scope, id);
    return ok(view(run(scope, id)));
  }

  /**
   * Sends a signal to the run ({@code {"payload": "..."}}), waking its WAIT step for that name; the
   * first signal of a name wins ({@code stored} false for a repeat, which changes nothing).
   */
  @PostMapping("/runs/{id}/signals/{name}")
  public ResponseEntity<String> signal(
      HttpServletRequest request, @PathVariable UUID id, @PathVariable String name) {
    OwnerScope scope = owners.scope(orchestrator, request);
    SignalRequest body =
        ApiJson.read(request, properties.getWeb().getMaxBodyBytes(), SignalRequest.class, false);
    run(scope, id);
    boolean stored = pipelines.signal(scope, id, name, body.payload());
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("stored", stored);
    reply.put("run", view(run(scope, id)));
    return ok(reply);
  }

  /** The body of a signal: its payload (text; JSON as a string). */
  record SignalRequest(String payload) {}

  /**
   * Reruns a finished run from one of its steps (201, with the new run's Location): the steps that
   * do not depend on it keep their results, it and those after it run again, it with the given
   * arguments or prompt. Everything is checked before the new run is written: the step, that the
   * edit suits its kind, and the edited plan against the pipeline's tools.
   */
  @PostMapping("/runs/{id}/rerun")
  public ResponseEntity<String> rerun(HttpServletRequest request, @PathVariable UUID id) {
    OwnerScope scope = owners.scope(orchestrator, request);
    RunRequest.Rerun body =
        ApiJson.read(request, properties.getWeb().getMaxBodyBytes(), RunRequest.Rerun.class, false);
    PipelineRun old = run(scope, id);
    if (!old.status().isTerminal()) {
      throw new ApiProblem(
          409,
          "illegal-transition",
          "The run is not finished",
          "run " + id + " is " + old.status() + "; rerun a finished run",
          Map.of());
    }
    if (body.fromStep() == null || body.fromStep().isBlank()) {
      throw ApiProblem.badRequest("a rerun needs fromStep: the id of the step to run again");
    }
    JsonNode arguments = body.givenArguments();
    checkEdit(old, body.fromStep(), arguments, body.prompt());
    return created(request, pipelines.rerun(scope, id, body.fromStep(), arguments, body.prompt()));
  }

  /**
   * Refuses an edit that the new run's planning would refuse after it was written: an unknown step,
   * arguments for a step other than a tool call (or not an object), a prompt for a step other than
   * an LLM call (or blank), or an edited plan with problems (arguments the tool's schema refuses, a
   * prompt reading a step it does not depend on).
   */
  private void checkEdit(PipelineRun old, String fromStep, JsonNode arguments, String prompt) {
    Plan.Step step =
        old.plan() == null
            ? null
            : old.plan().steps().stream()
                .filter(s -> s.id().equals(fromStep))
                .findFirst()
                .orElse(null);
    if (step == null) {
      throw new InvalidTaskException(
          Problem.BAD_FIELD,
          "run "
              + old.id()
              + " has no step '"
              + fromStep
              + "'"
              + (old.plan() == null
                  ? ""
                  : " (its steps: "
                      + old.plan().steps().stream().map(Plan.Step::id).toList()
                      + ")"));
    }
    if (arguments != null && (step.kind() != Plan.Kind.TOOL || !arguments.isObject())) {
      throw ApiProblem.badRequest(
          step.kind() != Plan.Kind.TOOL
              ? "arguments are for a TOOL step; step " + fromStep + " is " + step.kind()
              : "arguments must be a JSON object");
    }
    if (prompt != null && (step.kind() != Plan.Kind.LLM || prompt.isBlank())) {
      throw ApiProblem.badRequest(
          step.kind() != Plan.Kind.LLM
              ? "a prompt is for an LLM step; step " + fromStep + " is " + step.kind()
              : "the prompt must not be blank");
    }
    // the edited plan's own problems (a schema the arguments break, a reference the prompt adds)
    // are refused by Pipelines.rerun before it writes anything
  }

  /**
   * The run, or 404: an unknown id, another owner's run, or a task that is not a run's first
   * planning task.
   */
  private PipelineRun run(OwnerScope scope, UUID id) {
    boolean first =
        scope
            .get(id)
            .filter(t -> PLAN_TYPE.equals(t.type()) && !t.labels().containsKey(RUN_LABEL))
            .isPresent();
    if (!first) {
      throw new ApiProblem(
          404, "not-found", "No such run", "no pipeline run " + id, Map.of("runId", id.toString()));
    }
    return pipelines.run(scope, id);
  }

  // ---- the JSON ----

  /** The run without its trace (read apart: it grows with every call), with its progress. */
  static Map<String, Object> view(PipelineRun r) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", r.id());
    v.put("pipeline", r.pipeline());
    v.put("goal", r.goal());
    v.put("status", r.status());
    v.put("paused", r.paused());
    v.put("round", r.round());
    v.put("plan", r.plan());
    v.put("steps", r.steps());
    v.put("completedSteps", r.completedSteps());
    v.put("totalSteps", r.totalSteps());
    v.put("progress", r.progress());
    v.put("currentSteps", r.currentSteps());
    v.put("verification", r.verification());
    v.put("result", r.result());
    v.put("error", r.error());
    v.put("estimate", r.estimate());
    v.put("traceEntries", r.trace().size());
    v.put("rerunOf", r.rerunOf());
    return v;
  }

  private static Map<String, Object> view(Pipeline p) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("name", p.name());
    v.put("tools", p.tools().tools().stream().map(PipelineApiController::view).toList());
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("maxSteps", p.maxSteps());
    o.put("maxReplans", p.maxReplans());
    o.put("failFast", p.failFast());
    o.put("stepMaxAttempts", p.stepMaxAttempts());
    o.put("planTimeout", p.planTimeout());
    o.put("stepTimeout", p.stepTimeout());
    o.put("verifyTimeout", p.verifyTimeout());
    o.put("waitTimeout", p.waitTimeout());
    o.put("skipWaitOnTimeout", p.skipWaitOnTimeout());
    o.put("contextTokenLimit", p.contextTokenLimit());
    o.put("model", p.model());
    o.put("llmStepEstimate", p.llmStepEstimate());
    v.put("options", o);
    return v;
  }

  private static Map<String, Object> view(Tool t) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("name", t.name());
    v.put("description", t.description());
    v.put("parameters", t.parameters());
    v.put("timeout", t.timeout());
    v.put("maxAttempts", t.maxAttempts());
    v.put("retryPolicy", t.retryPolicy());
    v.put("typicalDuration", t.typicalDuration());
    return v;
  }
}
