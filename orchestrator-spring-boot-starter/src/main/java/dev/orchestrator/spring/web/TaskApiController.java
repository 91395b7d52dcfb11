package dev.orchestrator.spring.web;

import dev.orchestrator.BulkResult;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.InvalidTaskException.Problem;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.OwnerScope;
import dev.orchestrator.Page;
import dev.orchestrator.Task;
import dev.orchestrator.TaskNotFoundException;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.spring.OrchestratorProperties;
import dev.orchestrator.template.PromptTemplate;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * The REST API over tasks, under {@code orchestrator.web.base-path} (default {@code
 * /orchestrator/api}). Every request acts for the owner its {@link OwnerResolver} gives; another
 * owner's task answers 404 exactly as an unknown id. Errors are RFC 9457 problems ({@link
 * ApiProblems}).
 */
@RestController
@RequestMapping(
    path = "${orchestrator.web.base-path:/orchestrator/api}",
    produces = MediaType.APPLICATION_JSON_VALUE)
public class TaskApiController {
  private final Orchestrator orchestrator;
  private final OwnerResolver owners;
  private final OrchestratorProperties properties;
  private final boolean pipelines;

  /** The API of a service without pipelines. */
  public TaskApiController(
      Orchestrator orchestrator, OwnerResolver owners, OrchestratorProperties properties) {
    this(orchestrator, owners, properties, false);
  }

  /**
   * @param pipelines whether the pipeline endpoints ({@link PipelineApiController}) are served too:
   *     the OpenAPI document lists them only then
   */
  public TaskApiController(
      Orchestrator orchestrator,
      OwnerResolver owners,
      OrchestratorProperties properties,
      boolean pipelines) {
    this.orchestrator = orchestrator;
    this.owners = owners;
    this.properties = properties;
    this.pipelines = pipelines;
  }

  private OwnerScope scope(HttpServletRequest request) {
    return owners.scope(orchestrator, request);
  }

  private <T> T body(HttpServletRequest request, Class<T> type, boolean optional) {
    return ApiJson.read(request, properties.getWeb().getMaxBodyBytes(), type, optional);
  }

  private static ResponseEntity<String> ok(Object body) {
    return ResponseEntity.ok(ApiJson.write(body));
  }

  private ResponseEntity<String> created(HttpServletRequest request, Task task) {
    URI location =
        URI.create(
            request.getContextPath() + properties.getWeb().getBasePath() + "/tasks/" + task.id());
    return ResponseEntity.created(location).body(ApiJson.write(task));
  }

  // ---- tasks ----

  @PostMapping("/tasks")
  public ResponseEntity<String> create(HttpServletRequest request) {
    OwnerScope scope = scope(request);
    TaskRequest body = body(request, TaskRequest.class, false);
    Instant before = orchestrator.clock().now();
    return submitted(request, body, scope.submit(body.toSpec()), before);
  }

  /**
   * 201 for a new task; 200 for the task an earlier request with the same idempotency key made, or
   * 409 when that task is not what this request asks for.
   */
  private ResponseEntity<String> submitted(
      HttpServletRequest request, TaskRequest body, Task task, Instant before) {
    // made by an earlier request: before this one's start, on the clock that stamped it (a store
    // may keep microseconds only)
    boolean replayed =
        body.idempotencyKey() != null
            && task.createdAt().isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.MICROS));
    if (!replayed) {
      return created(request, task);
    }
    if (!Objects.equals(body.name(), task.name())
        || !Objects.equals(body.type() == null ? Task.LLM_TYPE : body.type(), task.type())
        || !Objects.equals(body.model(), task.model())
        || (body.prompt() != null
            && body.variables() == null
            && body.dependsOn() == null
            && !body.prompt().equals(task.prompt()))) {
      throw new ApiProblem(
          409,
          "idempotency-conflict",
          "The idempotency key belongs to another task",
          "task " + task.id() + " already holds key '" + body.idempotencyKey() + "'",
          Map.of("taskId", task.id().toString()));
    }
    return ResponseEntity.ok().header("Idempotent-Replayed", "true").body(ApiJson.write(task));
  }

  @PostMapping("/tasks/batch")
  public ResponseEntity<String> createBatch(HttpServletRequest request) {
    OwnerScope scope = scope(request);
    TaskRequest.Batch batch = body(request, TaskRequest.Batch.class, false);
    if (batch.tasks() == null || batch.tasks().isEmpty()) {
      throw new InvalidTaskException(Problem.BATCH_TOO_LARGE, "a batch needs at least one task");
    }
    List<TaskSpec> specs = new ArrayList<>(batch.tasks().size());
    for (int i = 0; i < batch.tasks().size(); i++) {
      TaskRequest t = batch.tasks().get(i);
      if (t == null) {
        throw new InvalidTaskException(Problem.BAD_FIELD, i, "spec " + i + ": null");
      }
      try {
        specs.add(t.toSpec());
      } catch (InvalidTaskException e) {
        throw e.at(i);
      }
    }
    List<Task> tasks = scope.submitAll(specs);
    return ResponseEntity.status(201).body(ApiJson.write(Map.of("tasks", tasks)));
  }

  @GetMapping("/tasks")
  public ResponseEntity<String> list(
      HttpServletRequest request,
      @RequestParam(name = "status", required = false) List<String> statuses,
      @RequestParam(required = false) UUID parent,
      @RequestParam(required = false) UUID root,
      @RequestParam(required = false) String owner,
      @RequestParam(required = false) String type,
      @RequestParam(required = false) String label,
      @RequestParam(required = false) String text,
      @RequestParam(required = false) UUID after,
      @RequestParam(required = false) Integer limit) {
    OwnerScope scope = scope(request);
    int max = Math.min(properties.getWeb().getMaxPageSize(), TaskQuery.MAX_LIMIT);
    int size = limit == null ? Math.min(TaskQuery.DEFAULT_LIMIT, max) : limit;
    if (size < 1 || size > max) {
      throw ApiProblem.badRequest("limit must be 1.." + max + ": " + size);
    }
    TaskQuery q =
        filters(statuses, parent, root, owner, type, label, text).limit(size).after(after).build();
    // a request scoped to an owner sees only its tasks: asking for another's finds none
    Page<Task> page = othersTasks(scope, owner) ? new Page<>(List.of(), null) : scope.list(q);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("items", page.items());
    body.put("next", page.nextCursor());
    return ok(body);
  }

  /** The filters the task list and the bulk actions share. */
  private static TaskQuery.Builder filters(
      List<String> statuses,
      UUID parent,
      UUID root,
      String owner,
      String type,
      String label,
      String text) {
    TaskQuery.Builder q = TaskQuery.builder().parent(parent).root(root);
    if (statuses != null) {
      for (String s : statuses) {
        q.status(status(s));
      }
    }
    if (type != null && !type.isEmpty()) {
      q.type(type);
    }
    if (label != null) {
      int eq = label.indexOf('=');
      if (eq < 0) {
        q.hasLabel(label);
      } else {
        q.label(label.substring(0, eq), label.substring(eq + 1));
      }
    }
    if (text != null && !text.isEmpty()) {
      q.text(text);
    }
    if (owner != null && !owner.isBlank()) {
      q.owner(owner);
    }
    return q;
  }

  /** True when a request scoped to one owner asks for another owner's tasks: it finds none. */
  private static boolean othersTasks(OwnerScope scope, String owner) {
    return owner != null && scope.owner() != null && !owner.equals(scope.owner());
  }

  /**
   * One action on every task a filter matches, each changed as its single-task endpoint changes it;
   * answers how many matched, changed and were skipped (finished, or changed meanwhile).
   */
  @PostMapping("/tasks/bulk")
  public ResponseEntity<String> bulk(HttpServletRequest request) {
    OwnerScope scope = scope(request);
    BulkRequest body = body(request, BulkRequest.class, false);
    BulkRequest.Action action = BulkRequest.Action.of(body.action());
    BulkRequest.Filter f = body.filter();
    if (f == null) {
      throw ApiProblem.badRequest("a bulk action needs a filter ({} for every task)");
    }
    if (action != BulkRequest.Action.RETRY && body.attempts() != null) {
      throw ApiProblem.badRequest("attempts is for a retry, not a " + body.action());
    }
    if (action != BulkRequest.Action.CANCEL && body.reason() != null) {
      throw ApiProblem.badRequest("reason is for a cancel, not a " + body.action());
    }
    TaskQuery query =
        filters(f.status(), f.parent(), f.root(), f.owner(), f.type(), f.label(), f.text()).build();
    if (othersTasks(scope, f.owner())) {
      return ok(new BulkResult(0, 0, 0));
    }
    BulkResult result =
        switch (action) {
          case CANCEL ->
              scope.cancelAll(
                  query,
                  body.reason() == null || body.reason().isBlank()
                      ? "cancelled in bulk through the API"
                      : body.reason());
          case RETRY ->
              scope.retryAll(
                  query,
                  body.attempts() == null
                      ? properties.getDefaults().getMaxAttempts()
                      : body.attempts());
          case PAUSE -> scope.pauseAll(query);
          case RESUME -> scope.resumeAll(query);
        };
    return ok(result);
  }

  private static TaskStatus status(String name) {
    try {
      return TaskStatus.valueOf(name.strip().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiProblem.badRequest(
          "unknown status '" + name + "'; one of " + List.of(TaskStatus.values()));
    }
  }

  @GetMapping("/tasks/{id}")
  public ResponseEntity<String> get(HttpServletRequest request, @PathVariable UUID id) {
    return ok(scope(request).get(id).orElseThrow(() -> new TaskNotFoundException(id)));
  }

  @GetMapping("/tasks/{id}/attempts")
  public ResponseEntity<String> attempts(HttpServletRequest request, @PathVariable UUID id) {
    return ok(scope(request).attempts(id));
  }

  @GetMapping("/tasks/{id}/events")
  public ResponseEntity<String> events(HttpServletRequest request, @PathVariable UUID id) {
    return ok(scope(request).events(id));
  }

  @GetMapping("/tasks/{id}/lineage")
  public ResponseEntity<String> lineage(HttpServletRequest request, @PathVariable UUID id) {
    return ok(scope(request).lineage(id));
  }

  @PostMapping("/tasks/{id}/chain")
  public ResponseEntity<String> chain(HttpServletRequest request, @PathVariable UUID id) {
    OwnerScope scope = scope(request);
    TaskRequest body = body(request, TaskRequest.class, true);
    TaskSpec spec = body == null ? TaskSpec.builder().build() : body.toSpec();
    try {
      return created(request, scope.chain(id, spec));
    } catch (InvalidTaskException e) {
      if (e.problem() == Problem.UNKNOWN_PARENT) {
        throw new TaskNotFoundException(id); // the path names the parent: no such resource
      }
      throw e;
    }
  }

  @PostMapping("/tasks/{id}/retry")
  public ResponseEntity<String> retry(HttpServletRequest request, @PathVariable UUID id) {
    OwnerScope scope = scope(request);
    TaskRequest.RetryBody body = body(request, TaskRequest.RetryBody.class, true);
    int attempts =
        body == null || body.maxAttempts() == null
            ? properties.getDefaults().getMaxAttempts()
            : body.maxAttempts();
    return ok(scope.retry(id, attempts));
  }

  @PostMapping("/tasks/{id}/pause")
  public ResponseEntity<String> pause(HttpServletRequest request, @PathVariable UUID id) {
    return ok(scope(request).pause(id));
  }

  @PostMapping("/tasks/{id}/resume")
  public ResponseEntity<String> resume(HttpServletRequest request, @PathVariable UUID id) {
    return ok(scope(request).resume(id));
  }

  /** The task types paused cluster-wide. */
  @GetMapping("/types/paused")
  public ResponseEntity<String> pausedTypes() {
    return ok(new java.util.TreeSet<>(orchestrator.pausedTypes()));
  }

  /**
   * Pauses a task type for every owner: refused to a request scoped to one owner, since it holds
   * every owner's tasks of the type.
   */
  @PostMapping("/types/{type}/pause")
  public ResponseEntity<String> pauseType(HttpServletRequest request, @PathVariable String type) {
    requireEveryOwner(request, "pause a type");
    return ok(Map.of("type", type, "changed", orchestrator.pauseType(type)));
  }

  @PostMapping("/types/{type}/resume")
  public ResponseEntity<String> resumeType(HttpServletRequest request, @PathVariable String type) {
    requireEveryOwner(request, "resume a type");
    return ok(Map.of("type", type, "changed", orchestrator.resumeType(type)));
  }

  private void requireEveryOwner(HttpServletRequest request, String what) {
    if (owners.resolve(request) != null) {
      throw ApiProblem.forbidden(
          "Not for one owner",
          "a request scoped to one owner cannot " + what + ": it holds every owner's tasks");
    }
  }

  @PostMapping("/tasks/{id}/cancel")
  public ResponseEntity<String> cancel(HttpServletRequest request, @PathVariable UUID id) {
    OwnerScope scope = scope(request);
    TaskRequest.CancelBody body = body(request, TaskRequest.CancelBody.class, true);
    String reason =
        body == null || body.reason() == null || body.reason().isBlank()
            ? "cancelled through the API"
            : body.reason();
    return ok(scope.cancel(id, reason));
  }

  // ---- templates ----

  @GetMapping("/templates")
  public ResponseEntity<String> templates(HttpServletRequest request) {
    scope(request); // the same owner rules as every other call
    List<Map<String, Object>> templates = new ArrayList<>();
    orchestrator
        .templates()
        .forEach(
            (name, text) ->
                templates.add(
                    Map.of(
                        "name", name,
                        "text", text,
                        "variables", PromptTemplate.of(text).variables())));
    return ok(templates);
  }

  @PostMapping("/templates/{name}/tasks")
  public ResponseEntity<String> fromTemplate(
      HttpServletRequest request, @PathVariable String name) {
    OwnerScope scope = scope(request);
    TaskRequest body = body(request, TaskRequest.class, true);
    if (body != null && (body.prompt() != null || body.template() != null)) {
      throw ApiProblem.badRequest("the template is the path's: give no prompt or template");
    }
    TaskRequest filled = (body == null ? TaskRequest.EMPTY : body).withTemplate(name);
    Instant before = orchestrator.clock().now();
    return submitted(request, filled, scope.submit(filled.toSpec()), before);
  }

  // ---- the whole ----

  @GetMapping("/stats")
  public ResponseEntity<String> stats(HttpServletRequest request) {
    OwnerScope scope = scope(request);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("counts", scope.countByStatus());
    body.put("usage", scope.usage());
    return ok(body);
  }

  /**
   * The OpenAPI 3 document of this API, with the base path it is served under; the operations
   * tagged {@code pipelines} only when the pipeline endpoints are served.
   */
  @GetMapping("/openapi.json")
  public ResponseEntity<String> openApi(HttpServletRequest request) throws java.io.IOException {
    try (java.io.InputStream in = TaskApiController.class.getResourceAsStream("openapi.json")) {
      com.fasterxml.jackson.databind.node.ObjectNode doc =
          (com.fasterxml.jackson.databind.node.ObjectNode) ApiJson.MAPPER.readTree(in);
      doc.putArray("servers")
          .addObject()
          .put("url", request.getContextPath() + properties.getWeb().getBasePath());
      if (!pipelines) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc.get("paths"))
            .properties()
            .removeIf(path -> tagged(path.getValue(), "pipelines"));
        doc.remove("tags");
      }
      return ok(doc);
    }
  }

  /** True when an operation of the path is tagged so. */
  private static boolean tagged(com.fasterxml.jackson.databind.JsonNode path, String tag) {
    for (com.fasterxml.jackson.databind.JsonNode operation : path) {
      for (com.fasterxml.jackson.databind.JsonNode t : operation.path("tags")) {
        if (tag.equals(t.asText())) {
          return true;
        }
      }
    }
    return false;
  }

  /** The nodes alive now, with the attempts each runs. */
  @GetMapping("/nodes")
  public ResponseEntity<String> nodes(HttpServletRequest request) {
    scope(request);
    return ok(orchestrator.nodes());
  }

  /**
   * Tasks that ended in each of the last {@code minutes} minutes (default 60, at most a day), by
   * status, with tokens and cost by model: every minute of the window is a bucket, empty or not.
   */
  @GetMapping("/stats/activity")
  public ResponseEntity<String> activity(
      HttpServletRequest request, @RequestParam(required = false) Integer minutes) {
    OwnerScope scope = scope(request);
    int window = minutes == null ? 60 : minutes;
    if (window < 1 || window > 1440) {
      throw ApiProblem.badRequest("minutes must be 1..1440: " + window);
    }
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
    Instant first = now.minus(java.time.Duration.ofMinutes(window - 1L));
    Map<Instant, Map<String, Object>> buckets = new LinkedHashMap<>();
    for (Instant m = first; !m.isAfter(now); m = m.plusSeconds(60)) {
      Map<String, Object> bucket = new LinkedHashMap<>();
      bucket.put("start", m);
      bucket.put("completed", 0L);
      bucket.put("failed", 0L);
      bucket.put("models", new ArrayList<Map<String, Object>>());
      buckets.put(m, bucket);
    }
    for (dev.orchestrator.Activity a : scope.activity(java.time.Duration.ofMinutes(window))) {
      Map<String, Object> bucket = buckets.get(a.minute());
      if (bucket == null) {
        continue; // ended in the first minute's part before the window
      }
      String status = a.status() == TaskStatus.COMPLETED ? "completed" : "failed";
      bucket.put(status, (Long) bucket.get(status) + a.tasks());
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> models = (List<Map<String, Object>>) bucket.get("models");
      String model = a.model() == null ? "default" : a.model();
      Map<String, Object> row =
          models.stream().filter(r -> r.get("model").equals(model)).findFirst().orElse(null);
      if (row == null) {
        row = new LinkedHashMap<>();
        row.put("model", model);
        row.put("inputTokens", 0L);
        row.put("outputTokens", 0L);
        row.put("cost", java.math.BigDecimal.ZERO);
        models.add(row);
      }
      row.put("inputTokens", (Long) row.get("inputTokens") + a.inputTokens());
      row.put("outputTokens", (Long) row.get("outputTokens") + a.outputTokens());
      row.put("cost", ((java.math.BigDecimal) row.get("cost")).add(a.cost()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("bucketSeconds", 60);
    body.put("buckets", buckets.values());
    return ok(body);
  }

  @GetMapping("/health")
  public ResponseEntity<String> health() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("node", orchestrator.nodeId());
    body.put("running", orchestrator.runningCount());
    try {
      orchestrator.get(new UUID(0, 0));
      body.put("status", "UP");
      return ok(body);
    } catch (RuntimeException e) {
      body.put("status", "DOWN");
      body.put("error", e.getClass().getSimpleName());
      return ResponseEntity.status(503).body(ApiJson.write(body));
    }
  }
}
