package dev.orchestrator.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.CallOptions;
import dev.orchestrator.ErrorKind;
import dev.orchestrator.InvalidTaskException;
import dev.orchestrator.Task;
import dev.orchestrator.TaskError;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.Usage;
import dev.orchestrator.lifecycle.Attempt;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.lifecycle.TaskEvent;
import dev.orchestrator.retry.RetryPolicy;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * How tasks, attempt records and events map to rows. A row is written as an array of strings, one
 * per column of {@link #TASK_COLUMNS} or {@link #ATTEMPT_COLUMNS}, that the SQL casts to the
 * column's type: the same values serve a single-row UPDATE and the arrays of a multi-row insert.
 * Instants are kept to the microsecond, as PostgreSQL does, so a task reads back equal to the value
 * the store returned when writing it.
 */
final class TaskRows {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {};

  /** A column and the SQL type its text value is cast to. */
  record Column(String name, String type) {}

  /**
   * Every column of a task, in the order of {@link #values(Task)}: those written once at submit
   * ({@link #SPEC_COLUMNS}, and the type, queue, concurrency key and limit and the owner as {@code
   * fair_key}, which the state row holds for the claim's and the turns' indexes), then {@link
   * #CHANGING_COLUMNS}, then the version.
   */
  static final List<Column> TASK_COLUMNS =
      columns(
          "id uuid, name text, type text, queue text, concurrency_key text, concurrency_limit int,"
              + " fair_key text,"
              + " prompt text, model text, options jsonb,"
              + " timeout_ms bigint, retry_policy jsonb, created_at timestamptz, parent_ids uuid[],"
              + " root_id uuid, idempotency_key text, owner text, labels jsonb,"
              + " status text, paused boolean, priority int, attempt int, max_attempts int, run_at timestamptz,"
              + " turn_at timestamptz, awaiting text,"
              + " updated_at timestamptz, started_at timestamptz, finished_at timestamptz,"
              + " output text, error_kind text, error_message text, input_tokens bigint,"
              + " output_tokens bigint, cost numeric, lease_owner text,"
              + " lease_expires_at timestamptz, version bigint");

  /** The columns of a task's spec ({@code task_specs}): written once, at submit. */
  static final List<Column> SPEC_COLUMNS =
      only(
          "id name prompt model options timeout_ms retry_policy created_at parent_ids root_id"
              + " idempotency_key owner labels");

  /**
   * The columns of a task's state ({@code tasks}): the id, what the claim reads (its lane: type and
   * queue; its concurrency key and limit) and what its lifecycle changes.
   */
  static final List<Column> STATE_COLUMNS =
      TASK_COLUMNS.stream()
          .filter(c -> c.name().equals("id") || !SPEC_COLUMNS.contains(c))
          .toList();

  /**
   * The state columns a status change may set, in the order of {@link #changingValues} (the version
   * is counted up by the store).
   */
  static final List<Column> CHANGING_COLUMNS =
      only(
          "status paused priority attempt max_attempts run_at turn_at awaiting updated_at started_at"
              + " finished_at output"
              + " error_kind error_message input_tokens output_tokens cost lease_owner"
              + " lease_expires_at");

  /** Every column of the attempts table, in the order of {@link #values(Attempt)}. */
  static final List<Column> ATTEMPT_COLUMNS =
      columns(
          "task_id uuid, number int, worker text, started_at timestamptz,"
              + " finished_at timestamptz, outcome text, error_kind text, error_message text,"
              + " model text, input_tokens bigint, output_tokens bigint, cost numeric, output text");

  private TaskRows() {}

  private static List<Column> columns(String spec) {
    return Arrays.stream(spec.split(","))
        .map(String::strip)
        .map(s -> new Column(s.substring(0, s.indexOf(' ')), s.substring(s.indexOf(' ') + 1)))
        .toList();
  }

  /** The columns of {@link #TASK_COLUMNS} with these names, in the order given. */
  private static List<Column> only(String names) {
    return Arrays.stream(names.split(" "))
        .map(
            name ->
                TASK_COLUMNS.stream()
                    .filter(c -> c.name().equals(name))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no task column " + name)))
        .toList();
  }

  /** Comma-separated names of the columns. */
  static String names(List<Column> columns) {
    return columns.stream().map(Column::name).collect(Collectors.joining(", "));
  }

  // ---- writing ----

  /** The task as PostgreSQL will hold it: instants truncated to the microsecond. */
  static Task normalize(Task t) {
    return t.toBuilder()
        .runAt(Jdbc.truncate(t.runAt()))
        .turn(Jdbc.truncate(t.turn()))
        .createdAt(Jdbc.truncate(t.createdAt()))
        .updatedAt(Jdbc.truncate(t.updatedAt()))
        .startedAt(Jdbc.truncate(t.startedAt()))
        .finishedAt(Jdbc.truncate(t.finishedAt()))
        .leaseExpiresAt(Jdbc.truncate(t.leaseExpiresAt()))
        .build();
  }

  /** The text of each column of {@link #TASK_COLUMNS}. */
  static String[] values(Task t) {
    String[] fixed = {
      t.id().toString(),
      t.name(),
      t.type(),
      t.queue(),
      t.concurrencyKey(),
      t.concurrencyKey() == null ? null : Integer.toString(t.concurrencyLimit()),
      t.owner(),
      t.prompt(),
      t.model(),
      optionsJson(t.options()),
      t.timeout() == null ? null : Long.toString(t.timeout().toMillis()),
      retryJson(t.retryPolicy()),
      text(t.createdAt()),
      t.parentIds().stream().map(UUID::toString).collect(Collectors.joining(",", "{", "}")),
      t.rootId().toString(),
      t.idempotencyKey(),
      t.owner(),
      json(t.labels())
    };
    String[] changing = changingValues(t);
    String[] all = Arrays.copyOf(fixed, fixed.length + changing.length + 1);
    System.arraycopy(changing, 0, all, fixed.length, changing.length);
    all[all.length - 1] = Long.toString(t.version());
    return all;
  }

  /** The text of each of {@link #CHANGING_COLUMNS}: all a status change sends. */
  static String[] changingValues(Task t) {
    TaskError error = t.error();
    return new String[] {
      t.status().name(),
      Boolean.toString(t.paused()),
      Integer.toString(t.priority()),
      Integer.toString(t.attempt()),
      Integer.toString(t.maxAttempts()),
      text(t.runAt()),
      text(t.turn()),
      t.awaiting(),
      text(t.updatedAt()),
      text(t.startedAt()),
      text(t.finishedAt()),
      t.output(),
      error == null ? null : error.kind().name(),
      error == null ? null : error.message(),
      Long.toString(t.usage().inputTokens()),
      Long.toString(t.usage().outputTokens()),
      t.usage().cost().toPlainString(),
      t.leaseOwner(),
      text(t.leaseExpiresAt())
    };
  }

  /** The text of each column of {@link #ATTEMPT_COLUMNS}. */
  static String[] values(Attempt a) {
    TaskError error = a.error();
    return new String[] {
      a.taskId().toString(),
      Integer.toString(a.number()),
      a.worker(),
      text(a.startedAt()),
      text(a.finishedAt()),
      a.outcome().name(),
      error == null ? null : error.kind().name(),
      error == null ? null : error.message(),
      a.model(),
      Long.toString(a.usage().inputTokens()),
      Long.toString(a.usage().outputTokens()),
      a.usage().cost().toPlainString(),
      a.output()
    };
  }

  private static String text(Instant instant) {
    return instant == null ? null : Jdbc.truncate(instant).toString();
  }

  private static String optionsJson(CallOptions o) {
    return optionsNode(o).toString();
  }

  /** The options as JSON, with the fields that are set (a task's row, a schedule's spec). */
  static ObjectNode optionsNode(CallOptions o) {
    ObjectNode node = JSON.createObjectNode();
    if (o.systemPrompt() != null) node.put("systemPrompt", o.systemPrompt());
    if (o.temperature() != null) node.put("temperature", o.temperature());
    if (o.maxOutputTokens() != null) node.put("maxOutputTokens", o.maxOutputTokens());
    if (o.stream()) node.put("stream", true);
    return node;
  }

  /** The options {@link #optionsNode} wrote. */
  static CallOptions options(JsonNode node) {
    if (node == null || node.isEmpty()) {
      return CallOptions.DEFAULT;
    }
    JsonNode system = node.get("systemPrompt");
    JsonNode temperature = node.get("temperature");
    JsonNode maxTokens = node.get("maxOutputTokens");
    return new CallOptions(
        system == null || system.isNull() ? null : system.asText(),
        temperature == null || temperature.isNull() ? null : temperature.asDouble(),
        maxTokens == null || maxTokens.isNull() ? null : maxTokens.asInt(),
        node.path("stream").asBoolean(false));
  }

  private static String retryJson(RetryPolicy p) {
    if (p == null) {
      return null;
    }
    ObjectNode node = JSON.createObjectNode();
    node.put("initialDelay", p.initialDelay().toString());
    node.put("multiplier", p.multiplier());
    node.put("maxDelay", p.maxDelay().toString());
    return node.toString();
  }

  static String json(Map<String, String> map) {
    try {
      return JSON.writeValueAsString(map);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write labels as JSON", e);
    }
  }

  // ---- checking ----

  /**
   * Refuses text PostgreSQL cannot store exactly: U+0000 (a {@code text} value cannot hold it) and
   * unpaired surrogates (not Unicode; they would come back as '?').
   *
   * @throws InvalidTaskException with {@link InvalidTaskException.Problem#BAD_FIELD}
   */
  static void checkStorable(Task t, int index) {
    check("name", t.name(), index);
    check("type", t.type(), index);
    check("queue", t.queue(), index);
    check("concurrency key", t.concurrencyKey(), index);
    check("prompt", t.prompt(), index);
    check("model", t.model(), index);
    check("options.systemPrompt", t.options().systemPrompt(), index);
    check("output", t.output(), index);
    check("error", t.error() == null ? null : t.error().message(), index);
    check("idempotencyKey", t.idempotencyKey(), index);
    check("owner", t.owner(), index);
    check("leaseOwner", t.leaseOwner(), index);
    check("awaiting", t.awaiting(), index);
    t.labels()
        .forEach(
            (k, v) -> {
              check("label key", k, index);
              check("label " + k, v, index);
            });
  }

  static void checkStorable(Attempt a) {
    check("attempt worker", a.worker(), 0);
    check("attempt model", a.model(), 0);
    check("attempt output", a.output(), 0);
    check("attempt error", a.error() == null ? null : a.error().message(), 0);
  }

  static void checkStorable(TaskEvent e) {
    check("event reason", e.reason(), 0);
  }

  static void check(String field, String value, int index) {
    if (value == null) {
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\u0000') {
        throw bad(field, index, "contains U+0000 (NUL), which PostgreSQL cannot store in text");
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw bad(field, index, "contains an unpaired surrogate at index " + i);
      }
    }
  }

  private static InvalidTaskException bad(String field, int index, String what) {
    return new InvalidTaskException(
        InvalidTaskException.Problem.BAD_FIELD, index, field + " " + what);
  }

  // ---- reading ----

  static Task task(ResultSet rs) throws SQLException {
    Long timeoutMs = Jdbc.nullableLong(rs, "timeout_ms");
    String errorKind = rs.getString("error_kind");
    java.sql.Array parents = rs.getArray("parent_ids");
    return new Task.Builder()
        .id(rs.getObject("id", UUID.class))
        .name(rs.getString("name"))
        .type(rs.getString("type"))
        .queue(rs.getString("queue"))
        .concurrency(rs.getString("concurrency_key"), rs.getInt("concurrency_limit"))
        .prompt(rs.getString("prompt"))
        .model(rs.getString("model"))
        .options(options(rs.getString("options")))
        .status(TaskStatus.valueOf(rs.getString("status")))
        .paused(rs.getBoolean("paused"))
        .priority(rs.getInt("priority"))
        .attempt(rs.getInt("attempt"))
        .maxAttempts(rs.getInt("max_attempts"))
        .runAt(Jdbc.instant(rs, "run_at"))
        .turn(Jdbc.instant(rs, "turn_at"))
        .awaiting(rs.getString("awaiting"))
        .timeout(timeoutMs == null ? null : Duration.ofMillis(timeoutMs))
        .retryPolicy(retryPolicy(rs.getString("retry_policy")))
        .createdAt(Jdbc.instant(rs, "created_at"))
        .updatedAt(Jdbc.instant(rs, "updated_at"))
        .startedAt(Jdbc.instant(rs, "started_at"))
        .finishedAt(Jdbc.instant(rs, "finished_at"))
        .output(rs.getString("output"))
        .error(
            errorKind == null
                ? null
                : new TaskError(ErrorKind.valueOf(errorKind), rs.getString("error_message")))
        .parentIds(parents == null ? List.of() : Arrays.asList((UUID[]) parents.getArray()))
        .rootId(rs.getObject("root_id", UUID.class))
        .idempotencyKey(rs.getString("idempotency_key"))
        .owner(rs.getString("owner"))
        .labels(labels(rs.getString("labels")))
        .usage(usage(rs))
        .version(rs.getLong("version"))
        .leaseOwner(rs.getString("lease_owner"))
        .leaseExpiresAt(Jdbc.instant(rs, "lease_expires_at"))
        .build();
  }

  static Attempt attempt(ResultSet rs) throws SQLException {
    String errorKind = rs.getString("error_kind");
    return new Attempt(
        rs.getObject("task_id", UUID.class),
        rs.getInt("number"),
        rs.getString("worker"),
        Jdbc.instant(rs, "started_at"),
        Jdbc.instant(rs, "finished_at"),
        AttemptOutcome.valueOf(rs.getString("outcome")),
        errorKind == null
            ? null
            : new TaskError(ErrorKind.valueOf(errorKind), rs.getString("error_message")),
        rs.getString("model"),
        usage(rs),
        rs.getString("output"));
  }

  static TaskEvent event(ResultSet rs) throws SQLException {
    String from = rs.getString("from_status");
    return new TaskEvent(
        rs.getObject("task_id", UUID.class),
        from == null ? null : TaskStatus.valueOf(from),
        TaskStatus.valueOf(rs.getString("to_status")),
        Jdbc.instant(rs, "at"),
        rs.getInt("attempt"),
        rs.getString("reason"),
        rs.getLong("version"));
  }

  private static Usage usage(ResultSet rs) throws SQLException {
    return new Usage(rs.getLong("input_tokens"), rs.getLong("output_tokens"), decimal(rs, "cost"));
  }

  /**
   * Reads a numeric as the text PostgreSQL prints, which keeps its scale ("0.50" stays 0.50); the
   * driver's binary decoding may pad the scale.
   */
  static BigDecimal decimal(ResultSet rs, String column) throws SQLException {
    String text = rs.getString(column);
    return text == null ? null : new BigDecimal(text);
  }

  private static CallOptions options(String json) throws SQLException {
    return options(tree(json));
  }

  private static RetryPolicy retryPolicy(String json) throws SQLException {
    JsonNode node = tree(json);
    return node == null
        ? null
        : new RetryPolicy(
            Duration.parse(node.get("initialDelay").asText()),
            node.get("multiplier").asDouble(),
            Duration.parse(node.get("maxDelay").asText()));
  }

  private static Map<String, String> labels(String json) throws SQLException {
    try {
      return json == null ? Map.of() : JSON.readValue(json, LABELS);
    } catch (JsonProcessingException e) {
      throw new SQLException("labels are not a JSON object of strings: " + json, e);
    }
  }

  private static JsonNode tree(String json) throws SQLException {
    try {
      return json == null ? null : JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new SQLException("column is not JSON: " + json, e);
    }
  }
}
