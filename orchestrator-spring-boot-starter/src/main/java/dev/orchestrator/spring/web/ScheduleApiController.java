package dev.orchestrator.spring.web;

import dev.orchestrator.Orchestrator;
import dev.orchestrator.Task;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.schedule.Recurrence;
import dev.orchestrator.schedule.Schedule;
import dev.orchestrator.spring.OrchestratorProperties;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.UriUtils;

/**
 * The REST API over recurring schedules, beside {@link TaskApiController}: list, read, create or
 * replace by name ({@code PUT}), remove. A schedule is not an owner's (it is the service's
 * configuration, and its tasks belong to the owner it names), so only a request for every owner
 * (whose {@link OwnerResolver} gives null: an operator) sees schedules; one scoped to an owner is
 * refused with 403 {@code forbidden}. Each schedule is shown with its recent tasks.
 */
@RestController
@RequestMapping(
    path = "${orchestrator.web.base-path:/orchestrator/api}",
    produces = MediaType.APPLICATION_JSON_VALUE)
public class ScheduleApiController {
  /** Recent tasks shown with a schedule unless the request asks for another number. */
  static final int DEFAULT_RECENT = 10;

  /** Most recent tasks a request may ask for per schedule. */
  static final int MAX_RECENT = 100;

  private final Orchestrator orchestrator;
  private final OwnerResolver owners;
  private final OrchestratorProperties properties;

  public ScheduleApiController(
      Orchestrator orchestrator, OwnerResolver owners, OrchestratorProperties properties) {
    this.orchestrator = orchestrator;
    this.owners = owners;
    this.properties = properties;
  }

  /** Refuses a request scoped to an owner: schedules are every owner's concern, an operator's. */
  private void operator(HttpServletRequest request) {
    if (owners.resolve(request) != null) {
      throw ApiProblem.forbidden(
          "Schedules are managed for every owner",
          "a request scoped to an owner cannot see or change schedules");
    }
  }

  private static int recent(Integer recent) {
    int n = recent == null ? DEFAULT_RECENT : recent;
    if (n < 0 || n > MAX_RECENT) {
      throw ApiProblem.badRequest("recent must be 0.." + MAX_RECENT + ": " + n);
    }
    return n;
  }

  private static ApiProblem notFound(String name) {
    return new ApiProblem(
        404, "not-found", "No such schedule", "no schedule named '" + name + "'", Map.of());
  }

  @GetMapping("/schedules")
  public ResponseEntity<String> list(
      HttpServletRequest request, @RequestParam(required = false) Integer recent) {
    operator(request);
    int n = recent(recent);
    List<Map<String, Object>> body = new ArrayList<>();
    for (Schedule s : orchestrator.schedules()) {
      body.add(view(s, n));
    }
    return ResponseEntity.ok(ApiJson.write(body));
  }

  @GetMapping("/schedules/{name}")
  public ResponseEntity<String> get(
      HttpServletRequest request,
      @PathVariable String name,
      @RequestParam(required = false) Integer recent) {
    operator(request);
    int n = recent(recent);
    Schedule s = orchestrator.getSchedule(name).orElseThrow(() -> notFound(name));
    return ResponseEntity.ok(ApiJson.write(view(s, n)));
  }

  /** Creates the schedule (201, with its Location) or replaces it (200). */
  @PutMapping("/schedules/{name}")
  public ResponseEntity<String> put(HttpServletRequest request, @PathVariable String name) {
    operator(request);
    ScheduleRequest body =
        ApiJson.read(request, properties.getWeb().getMaxBodyBytes(), ScheduleRequest.class, false);
    Schedule s = orchestrator.schedule(name, body.recurrence(), body.misfirePolicy(), body.spec());
    String json = ApiJson.write(view(s, DEFAULT_RECENT));
    if (s.version() == 1) {
      URI location =
          URI.create(
              request.getContextPath()
                  + properties.getWeb().getBasePath()
                  + "/schedules/"
                  + UriUtils.encodePathSegment(name, java.nio.charset.StandardCharsets.UTF_8));
      return ResponseEntity.created(location).body(json);
    }
    return ResponseEntity.ok(json);
  }

  /** Removes the schedule (204); its tasks stay. */
  @DeleteMapping("/schedules/{name}")
  public ResponseEntity<String> delete(HttpServletRequest request, @PathVariable String name) {
    operator(request);
    if (!orchestrator.unschedule(name)) {
      throw notFound(name);
    }
    return ResponseEntity.noContent().build();
  }

  // ---- the JSON of a schedule ----

  private Map<String, Object> view(Schedule s, int recent) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("name", s.name());
    v.put("description", s.description());
    if (s.recurrence() instanceof Recurrence.CronRecurrence c) {
      v.put("cron", c.cron().toString());
      v.put("zone", c.zone().getId());
    } else if (s.recurrence() instanceof Recurrence.IntervalRecurrence i) {
      v.put("every", i.interval());
      v.put("anchor", i.anchor());
    }
    v.put("misfire", s.misfire());
    v.put("owner", s.spec().owner() == null ? Task.DEFAULT_OWNER : s.spec().owner());
    v.put("nextFire", s.nextFire());
    v.put("since", s.since());
    List<Task> tasks = recent == 0 ? List.of() : orchestrator.scheduledTasks(s.name(), recent);
    v.put(
        "lastFire",
        tasks.stream().map(ScheduleApiController::fireTime).max(Instant::compareTo).orElse(null));
    v.put("createdAt", s.createdAt());
    v.put("updatedAt", s.updatedAt());
    v.put("version", s.version());
    v.put("task", task(s.spec()));
    List<Map<String, Object>> recentTasks = new ArrayList<>();
    for (Task t : tasks) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("id", t.id());
      r.put("status", t.status());
      r.put("scheduledFor", fireTime(t));
      r.put("createdAt", t.createdAt());
      r.put("finishedAt", t.finishedAt());
      recentTasks.add(r);
    }
    v.put("recentTasks", recentTasks);
    return v;
  }

  private static Instant fireTime(Task t) {
    String fire = t.labels().get(Schedule.FIRE_TIME_LABEL);
    try {
      return fire == null ? t.createdAt() : Instant.parse(fire);
    } catch (java.time.format.DateTimeParseException e) {
      return t.createdAt(); // a label someone set by hand
    }
  }

  /** The spec in the fields of {@code POST /tasks} (what a PUT's {@code task} takes). */
  private static Map<String, Object> task(TaskSpec spec) {
    Map<String, Object> t = new LinkedHashMap<>();
    putIf(t, "name", spec.name());
    putIf(t, "type", spec.type());
    putIf(t, "queue", spec.queue());
    putIf(t, "concurrencyKey", spec.concurrencyKey());
    putIf(t, "concurrencyLimit", spec.concurrencyLimit());
    putIf(t, "prompt", spec.prompt());
    putIf(t, "template", spec.template());
    if (!spec.variables().isEmpty()) {
      t.put("variables", spec.variables());
    }
    putIf(t, "model", spec.model());
    putIf(t, "systemPrompt", spec.options().systemPrompt());
    putIf(t, "temperature", spec.options().temperature());
    putIf(t, "maxOutputTokens", spec.options().maxOutputTokens());
    if (spec.priority() != 0) {
      t.put("priority", spec.priority());
    }
    putIf(t, "maxAttempts", spec.maxAttempts());
    putIf(t, "delay", spec.delay());
    putIf(t, "timeout", spec.timeout());
    RetryPolicy p = spec.retryPolicy();
    if (p != null) {
      Map<String, Object> retry = new LinkedHashMap<>();
      retry.put("initialDelay", p.initialDelay());
      retry.put("multiplier", p.multiplier());
      retry.put("maxDelay", p.maxDelay());
      t.put("retry", retry);
    }
    if (!spec.labels().isEmpty()) {
      t.put("labels", spec.labels());
    }
    return t;
  }

  private static void putIf(Map<String, Object> map, String key, Object value) {
    if (value != null) {
      map.put(key, value);
    }
  }
}
