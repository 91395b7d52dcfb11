package dev.orchestrator.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.CallOptions;
import dev.orchestrator.TaskSpec;
import dev.orchestrator.retry.RetryPolicy;
import dev.orchestrator.schedule.MisfirePolicy;
import dev.orchestrator.schedule.Recurrence;
import dev.orchestrator.schedule.Schedule;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How recurring schedules map to rows of {@code <prefix>schedules} (see V7__schedules.sql), with
 * the statements that read and write them: the recurrence as its kind with a cron expression and
 * zone or an interval and anchor, the task spec as JSON ({@link #specJson}, every field of {@link
 * TaskSpec}).
 */
final class ScheduleRows {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String COLUMNS =
      "name, kind, cron, zone, every, anchor, misfire, spec, created_at, since, next_fire, version,"
          + " updated_at";

  final String insert;
  final String replace;
  final String byName;
  final String all;
  final String delete;
  final String advance;
  final String due;

  ScheduleRows(String prefix) {
    String table = prefix + "schedules";
    insert =
        "INSERT INTO "
            + table
            + " ("
            + COLUMNS
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, 1, ?)"
            + " ON CONFLICT (name) DO NOTHING RETURNING *";
    replace =
        "UPDATE "
            + table
            + " SET kind = ?, cron = ?, zone = ?, every = ?, anchor = ?, misfire = ?,"
            + " spec = ?::jsonb, created_at = ?, since = ?, next_fire = ?, updated_at = ?,"
            + " version = version + 1 WHERE name = ? AND version = ? RETURNING *";
    byName = "SELECT * FROM " + table + " WHERE name = ?";
    all = "SELECT * FROM " + table + " ORDER BY name COLLATE \"C\"";
    delete = "DELETE FROM " + table + " WHERE name = ?";
    advance =
        "UPDATE "
            + table
            + " SET since = ?, next_fire = ?, updated_at = ?, version = version + 1"
            + " WHERE name = ? AND version = ? RETURNING *";
    due =
        "SELECT * FROM "
            + table
            + " WHERE next_fire <= ? ORDER BY next_fire, name COLLATE \"C\" LIMIT ?";
  }

  /** The parameters of {@link #insert}. */
  static Object[] insertValues(Schedule s) {
    Object[] r = recurrence(s.recurrence());
    return new Object[] {
      s.name(),
      r[0],
      r[1],
      r[2],
      r[3],
      r[4],
      s.misfire(),
      specJson(s.spec()),
      s.createdAt(),
      s.since(),
      s.nextFire(),
      s.updatedAt()
    };
  }

  /** The parameters of {@link #replace}. */
  static Object[] replaceValues(Schedule s) {
    Object[] r = recurrence(s.recurrence());
    return new Object[] {
      r[0],
      r[1],
      r[2],
      r[3],
      r[4],
      s.misfire(),
      specJson(s.spec()),
      s.createdAt(),
      s.since(),
      s.nextFire(),
      s.updatedAt(),
      s.name(),
      s.version()
    };
  }

  /** kind, cron, zone, every, anchor. */
  private static Object[] recurrence(Recurrence recurrence) {
    if (recurrence instanceof Recurrence.CronRecurrence c) {
      return new Object[] {"cron", c.cron().toString(), c.zone().getId(), null, null};
    }
    Recurrence.IntervalRecurrence i = (Recurrence.IntervalRecurrence) recurrence;
    return new Object[] {"interval", null, null, i.interval().toString(), i.anchor()};
  }

  static Schedule schedule(ResultSet rs) throws SQLException {
    String kind = rs.getString("kind");
    Recurrence recurrence =
        switch (kind) {
          case "cron" -> Recurrence.cron(rs.getString("cron"), ZoneId.of(rs.getString("zone")));
          case "interval" ->
              Recurrence.every(Duration.parse(rs.getString("every")), Jdbc.instant(rs, "anchor"));
          default -> throw new SQLException("unknown kind of recurrence: " + kind);
        };
    return new Schedule(
        rs.getString("name"),
        recurrence,
        MisfirePolicy.valueOf(rs.getString("misfire")),
        spec(rs.getString("spec")),
        Jdbc.instant(rs, "created_at"),
        Jdbc.instant(rs, "since"),
        Jdbc.instant(rs, "next_fire"),
        rs.getLong("version"),
        Jdbc.instant(rs, "updated_at"));
  }

  // ---- the task spec as JSON ----

  /**
   * Every field of the spec as a JSON object; fields that are null, empty or the default are left
   * out. Text no PostgreSQL {@code jsonb} keeps (U+0000, unpaired surrogates) is refused with
   * {@link dev.orchestrator.InvalidTaskException} BAD_FIELD.
   */
  static String specJson(TaskSpec spec) {
    checkStorable(spec);
    ObjectNode node = JSON.createObjectNode();
    put(node, "name", spec.name());
    put(node, "type", spec.type());
    put(node, "queue", spec.queue());
    put(node, "concurrencyKey", spec.concurrencyKey());
    if (spec.concurrencyLimit() != null) {
      node.put("concurrencyLimit", spec.concurrencyLimit());
    }
    put(node, "prompt", spec.prompt());
    put(node, "template", spec.template());
    if (!spec.variables().isEmpty()) {
      ObjectNode variables = node.putObject("variables");
      spec.variables().forEach(variables::put);
    }
    put(node, "model", spec.model());
    CallOptions o = spec.options();
    if (!o.equals(CallOptions.DEFAULT)) {
      node.set("options", TaskRows.optionsNode(o));
    }
    if (spec.priority() != 0) {
      node.put("priority", spec.priority());
    }
    if (spec.maxAttempts() != null) {
      node.put("maxAttempts", spec.maxAttempts());
    }
    put(node, "runAt", spec.runAt() == null ? null : spec.runAt().toString());
    put(node, "delay", spec.delay() == null ? null : spec.delay().toString());
    put(node, "timeout", spec.timeout() == null ? null : spec.timeout().toString());
    RetryPolicy p = spec.retryPolicy();
    if (p != null) {
      ObjectNode retry = node.putObject("retryPolicy");
      retry.put("initialDelay", p.initialDelay().toString());
      retry.put("multiplier", p.multiplier());
      retry.put("maxDelay", p.maxDelay().toString());
    }
    if (!spec.dependsOn().isEmpty()) {
      ArrayNode parents = node.putArray("dependsOn");
      spec.dependsOn().forEach(id -> parents.add(id.toString()));
    }
    put(node, "idempotencyKey", spec.idempotencyKey());
    put(node, "owner", spec.owner());
    if (!spec.labels().isEmpty()) {
      ObjectNode labels = node.putObject("labels");
      spec.labels().forEach(labels::put);
    }
    return node.toString();
  }

  private static void put(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  /** The spec {@link #specJson} wrote. */
  static TaskSpec spec(String json) throws SQLException {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new SQLException("a schedule's spec is not JSON: " + json, e);
    }
    if (n == null || !n.isObject()) {
      throw new SQLException("a schedule's spec is not a JSON object: " + json);
    }
    JsonNode o = n.path("options");
    CallOptions options = o.isObject() ? TaskRows.options(o) : CallOptions.DEFAULT;
    JsonNode r = n.path("retryPolicy");
    RetryPolicy retry =
        r.isObject()
            ? new RetryPolicy(
                Duration.parse(r.get("initialDelay").asText()),
                r.get("multiplier").asDouble(),
                Duration.parse(r.get("maxDelay").asText()))
            : null;
    List<UUID> dependsOn = new ArrayList<>();
    n.path("dependsOn").forEach(id -> dependsOn.add(UUID.fromString(id.asText())));
    return new TaskSpec(
        text(n, "name"),
        text(n, "type"),
        text(n, "queue"),
        text(n, "concurrencyKey"),
        n.hasNonNull("concurrencyLimit") ? n.get("concurrencyLimit").asInt() : null,
        text(n, "prompt"),
        text(n, "template"),
        strings(n.path("variables")),
        text(n, "model"),
        options,
        n.path("priority").asInt(0),
        n.hasNonNull("maxAttempts") ? n.get("maxAttempts").asInt() : null,
        n.hasNonNull("runAt") ? Instant.parse(n.get("runAt").asText()) : null,
        n.hasNonNull("delay") ? Duration.parse(n.get("delay").asText()) : null,
        n.hasNonNull("timeout") ? Duration.parse(n.get("timeout").asText()) : null,
        retry,
        dependsOn,
        text(n, "idempotencyKey"),
        text(n, "owner"),
        strings(n.path("labels")));
  }

  private static String text(JsonNode node, String field) {
    return node.hasNonNull(field) ? node.get(field).asText() : null;
  }

  private static Map<String, String> strings(JsonNode node) {
    Map<String, String> map = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }

  private static void checkStorable(TaskSpec spec) {
    TaskRows.check("name", spec.name(), 0);
    TaskRows.check("type", spec.type(), 0);
    TaskRows.check("queue", spec.queue(), 0);
    TaskRows.check("concurrencyKey", spec.concurrencyKey(), 0);
    TaskRows.check("prompt", spec.prompt(), 0);
    TaskRows.check("template", spec.template(), 0);
    TaskRows.check("model", spec.model(), 0);
    TaskRows.check("options.systemPrompt", spec.options().systemPrompt(), 0);
    TaskRows.check("idempotencyKey", spec.idempotencyKey(), 0);
    TaskRows.check("owner", spec.owner(), 0);
    spec.variables()
        .forEach(
            (k, v) -> {
              TaskRows.check("variable name", k, 0);
              TaskRows.check("variable '" + k + "'", v, 0);
            });
    spec.labels()
        .forEach(
            (k, v) -> {
              TaskRows.check("label key", k, 0);
              TaskRows.check("label '" + k + "'", v, 0);
            });
  }
}
