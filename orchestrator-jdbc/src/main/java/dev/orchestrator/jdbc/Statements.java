package dev.orchestrator.jdbc;

import static dev.orchestrator.jdbc.TaskRows.ATTEMPT_COLUMNS;
import static dev.orchestrator.jdbc.TaskRows.CHANGING_COLUMNS;
import static dev.orchestrator.jdbc.TaskRows.SPEC_COLUMNS;
import static dev.orchestrator.jdbc.TaskRows.STATE_COLUMNS;
import static dev.orchestrator.jdbc.TaskRows.TASK_COLUMNS;

import dev.orchestrator.jdbc.TaskRows.Column;
import dev.orchestrator.lifecycle.AttemptOutcome;
import dev.orchestrator.spi.TaskStore;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every statement the store issues, rendered once for its table prefix. A task is two rows: its
 * spec in {@code task_specs}, written once at submit, and its lifecycle state in {@code tasks},
 * which every status change rewrites (see V5__hot_row.sql); reads join them ({@link #TASK_ROWS}).
 * Status changes are set-based: one statement applies any number of compare-and-sets with their
 * events and attempt records, from one array per column, so they commit together without a round
 * trip each. A statement that can leave a task QUEUED calls {@code pg_notify} on {@link #channel}
 * in the same statement, so listeners hear of it when, and only if, it commits.
 */
final class Statements {
  /** A task's whole row: its state joined with its spec (the only column both have is the id). */
  private static final String TASK_ROWS = "${prefix}tasks JOIN ${prefix}task_specs USING (id)";

  /**
   * A multi-row insert from one text array per column. Each task inserted QUEUED gets its turn
   * (TaskStore#insert, V10__fair_turns.sql): {@code waiting} reads, once per owner, lane and
   * priority in the batch, the latest turn of the owner's waiting tasks there and the lane's first
   * turn, through the index of each; the n-th task of the batch in that place is n spacings after
   * the latest, or, when none wait, n - 1 spacings after the earlier of its first runAt and the
   * lane's first turn.
   */
  private static final String INSERT_TASKS =
      """
      WITH raw AS (
        SELECT %s, ord FROM unnest(%s) WITH ORDINALITY AS i(%s, ord)),
      waiting AS (
        SELECT g.*,
               (SELECT max(t.turn_at) FROM ${prefix}tasks t
                 WHERE t.status = 'QUEUED' AND NOT t.paused AND t.fair_key = g.fair_key
                   AND t.queue = g.queue AND t.type = g.type AND t.priority = g.priority)
                 AS last_turn,
               least(
                 (SELECT min(t.turn_at) FROM ${prefix}tasks t
                   WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NULL
                     AND t.queue = g.queue AND t.type = g.type AND t.priority = g.priority),
                 (SELECT min(t.turn_at) FROM ${prefix}tasks t
                   WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NOT NULL
                     AND t.queue = g.queue AND t.type = g.type AND t.priority = g.priority))
                 AS first_turn
          FROM (SELECT DISTINCT fair_key, queue, type, priority FROM raw
                 WHERE status = 'QUEUED' AND NOT paused) g),
      ranked AS (
        SELECT raw.*,
               row_number() OVER w AS n, first_value(turn_at) OVER w AS batch_turn
          FROM raw
        WINDOW w AS (PARTITION BY fair_key, queue, type, priority, status = 'QUEUED' AND NOT paused
                     ORDER BY ord)),
      input AS (
        SELECT %s,
               CASE WHEN w.fair_key IS NULL THEN r.turn_at
                    WHEN w.last_turn IS NOT NULL THEN w.last_turn + r.n * interval '%s'
                    ELSE least(r.batch_turn, w.first_turn) + (r.n - 1) * interval '%s'
               END AS turn_at
          FROM ranked r LEFT JOIN waiting w
            ON r.status = 'QUEUED' AND NOT r.paused AND w.fair_key = r.fair_key
           AND w.queue = r.queue AND w.type = r.type AND w.priority = r.priority),
      specs AS (
        INSERT INTO ${prefix}task_specs (%s)
        SELECT %s FROM input
        ON CONFLICT (owner, md5(idempotency_key)) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id, parent_ids),
      inserted AS (
        INSERT INTO ${prefix}tasks (%s)
        SELECT %s FROM input JOIN specs USING (id)
        RETURNING id, status, turn_at),
      logged AS (
        INSERT INTO ${prefix}events (task_id, from_status, to_status, at, attempt, reason, version)
        SELECT id, NULL, status, coalesce(created_at, statement_timestamp()), 0, 'submitted', 0
          FROM input JOIN specs USING (id)),
      linked AS (
        INSERT INTO ${prefix}edges (parent_id, child_id)
        SELECT DISTINCT unnest(parent_ids), id FROM specs
        ON CONFLICT DO NOTHING)
      SELECT id, turn_at, %s FROM inserted""";

  /** Tasks that hold these (owner, idempotency key) pairs. */
  private static final String BY_IDEMPOTENCY_KEY =
      """
      SELECT t.*, s.* FROM ${prefix}task_specs s JOIN ${prefix}tasks t USING (id)
        JOIN unnest(?::text[], ?::text[]) AS k(owner, idempotency_key)
          ON s.owner = k.owner
         AND md5(s.idempotency_key) = md5(k.idempotency_key)
         AND s.idempotency_key = k.idempotency_key""";

  /**
   * The compare-and-sets of any number of tasks (each id at most once), with their events and the
   * attempt records they end, from one text array per column. Each task is changed only while its
   * status and version are still the expected ones; the rows are locked in id order first (the
   * order every statement here locks several tasks in), so statements racing on the same tasks
   * cannot deadlock. Only the state columns a change can touch are sent. It returns the ids whose
   * compare-and-set won. The notification ({@code %s} of the RETURNING list) is raised for every
   * task the statement leaves QUEUED.
   */
  private static final String UPDATE =
      """
      WITH input AS (
        SELECT i.id::uuid AS id, i.expected_status, i.expected_version::bigint AS expected_version,
               i.reason, %s
          FROM unnest(%s) AS i(id, expected_status, expected_version, reason, %s)),
      locked AS (
        SELECT t.id FROM ${prefix}tasks t JOIN input i ON i.id = t.id
         WHERE t.status = i.expected_status AND t.version = i.expected_version
         ORDER BY t.id FOR NO KEY UPDATE OF t),
      updated AS (
        UPDATE ${prefix}tasks t SET %s, version = t.version + 1
          FROM input i
         WHERE t.id = i.id AND t.id = ANY(ARRAY(SELECT id FROM locked))
           AND t.status = i.expected_status AND t.version = i.expected_version
        RETURNING t.id, t.version, t.status, %s AS notified),
      recorded AS (
        INSERT INTO ${prefix}attempts (%s)
        SELECT %s FROM unnest(%s) AS a(%s)
         WHERE a.task_id::uuid IN (SELECT id FROM updated)),
      logged AS (
        INSERT INTO ${prefix}events (task_id, from_status, to_status, at, attempt, reason, version)
        SELECT u.id, i.expected_status, u.status, i.updated_at, i.attempt, i.reason, u.version
          FROM updated u JOIN input i ON i.id = u.id)
      SELECT id FROM updated""";

  /**
   * Claims the candidates (a locking SELECT, {@code %s}) with their events in one statement. Its
   * commit does not wait for the WAL flush ({@code synchronous_commit} off for this transaction
   * only): a claim lost in a server crash only puts the task back to QUEUED, and the worker's later
   * completion, a compare-and-set on the claimed version, then loses. Any durable write after it
   * (the completion) flushes the claim with it.
   */
  private static final String CLAIM =
      """
      WITH relaxed AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
      candidates AS (%s),
      claimed AS (
        UPDATE ${prefix}tasks t
           SET status = 'RUNNING', attempt = t.attempt + 1,
               started_at = greatest(?, t.updated_at), updated_at = greatest(?, t.updated_at),
               lease_owner = ?, lease_expires_at = ?, version = t.version + 1
          FROM candidates c, relaxed
         WHERE t.id = c.id AND t.status = 'QUEUED'
        RETURNING t.*),
      logged AS (
        INSERT INTO ${prefix}events (task_id, from_status, to_status, at, attempt, reason, version)
        SELECT id, 'QUEUED', 'RUNNING', started_at, attempt, 'claimed by ' || lease_owner, version
          FROM claimed)
      SELECT * FROM claimed JOIN ${prefix}task_specs USING (id)
       ORDER BY priority DESC, turn_at, id""";

  /**
   * The best QUEUED tasks of a route's lanes, locked, through the lane index whatever the
   * statistics (V6__lanes.sql).
   */
  private static final String NEXT_CANDIDATES =
      "SELECT id FROM ${prefix}queued_in_claim_order(?, ?::text[], ?::text[]) AS c(id)";

  /**
   * The given ids that may be claimed (V9__concurrency_keys.sql), locked in id order, waiting for a
   * lock rather than skipping it: a hint popped from the queue is its task's only one, and a row
   * can be locked without being changed (a racing statement whose re-check found it no longer in
   * the state it sought keeps the lock until it commits), so skipping would drop a hint that the
   * reconciler alone finds again.
   */
  private static final String GIVEN_CANDIDATES =
      "SELECT id FROM ${prefix}claimable_given(?) AS c(id)";

  private static final String QUEUED_OF_KEY =
      """
      SELECT * FROM ${prefix}tasks JOIN ${prefix}task_specs USING (id)
       WHERE concurrency_key = ? AND status = 'QUEUED' AND NOT paused
       ORDER BY priority DESC, turn_at, id LIMIT ?""";

  private static final String PROMOTE_DUE =
      """
      WITH due AS (SELECT id FROM ${prefix}due_in_order(?, ?) AS d(id)),
      promoted AS (
        UPDATE ${prefix}tasks t
           SET status = 'QUEUED', updated_at = greatest(?, t.updated_at), version = t.version + 1
          FROM due WHERE t.id = due.id AND t.status = 'SCHEDULED'
        RETURNING t.*),
      logged AS (
        INSERT INTO ${prefix}events (task_id, from_status, to_status, at, attempt, reason, version)
        SELECT id, 'SCHEDULED', 'QUEUED', updated_at, attempt, 'due', version FROM promoted)
      SELECT *, %s FROM promoted JOIN ${prefix}task_specs USING (id) ORDER BY run_at, id""";

  /**
   * Renews what it can and returns the ids it could not renew. The rows are locked in id order, the
   * order {@code updateAll} takes them in, so a renewal and a group commit of the same node's tasks
   * cannot deadlock.
   */
  private static final String RENEW_LEASES =
      """
      WITH ids AS (SELECT DISTINCT unnest(?::uuid[]) AS id),
      locked AS (
        SELECT t.id FROM ${prefix}tasks t
         WHERE t.id IN (SELECT id FROM ids) AND t.status = 'RUNNING' AND t.lease_owner = ?
         ORDER BY t.id FOR NO KEY UPDATE),
      renewed AS (
        UPDATE ${prefix}tasks t SET lease_expires_at = ?
          FROM locked
         WHERE t.id = locked.id
        RETURNING t.id)
      SELECT id FROM ids WHERE id NOT IN (SELECT id FROM renewed)""";

  private static final String EXPIRED_LEASES =
      """
      SELECT * FROM ${prefix}tasks JOIN ${prefix}task_specs USING (id)
       WHERE status = 'RUNNING' AND lease_expires_at < ?
       ORDER BY lease_expires_at LIMIT ?""";

  private static final String NEXT_RUN_AT =
      "SELECT min(run_at) FROM ${prefix}tasks WHERE status = 'SCHEDULED'";

  private static final String STALE =
      """
      SELECT * FROM ${prefix}tasks JOIN ${prefix}task_specs USING (id)
       WHERE status = ? AND updated_at < ?
       ORDER BY updated_at, id LIMIT ?""";

  private static final String GET = "SELECT * FROM " + TASK_ROWS + " WHERE id = ?";

  private static final String GET_ALL = "SELECT * FROM " + TASK_ROWS + " WHERE id = ANY(?)";

  /** The PENDING children of any of the parents, each once (a semi-join on the edges). */
  private static final String PENDING_CHILDREN =
      """
      SELECT * FROM ${prefix}tasks JOIN ${prefix}task_specs USING (id)
       WHERE id IN (SELECT child_id FROM ${prefix}edges WHERE parent_id = ANY(?))
         AND status = 'PENDING'
       ORDER BY id""";

  private static final String ATTEMPTS =
      "SELECT * FROM ${prefix}attempts WHERE task_id = ? ORDER BY number";

  private static final String ATTACH_LATE_RESULT =
      """
      UPDATE ${prefix}attempts SET model = ?, input_tokens = ?, output_tokens = ?, cost = ?,
             output = ?
       WHERE task_id = ? AND number = ? AND outcome IN (%s)""";

  private static final String EVENTS =
      "SELECT * FROM ${prefix}events WHERE task_id = ? ORDER BY seq";

  /**
   * A page of the feed: events of transactions older than every running one (final: nothing written
   * before them can still commit), in (tx, seq) order after a position. {@code %s}: the join and
   * the filters of the query.
   */
  private static final String FEED =
      """
      SELECT e.*, e.tx::text AS feed_tx FROM ${prefix}events e%s
       WHERE (e.tx, e.seq) > (?::xid8, ?::bigint)
         AND e.tx < pg_snapshot_xmin(pg_current_snapshot())%s
       ORDER BY e.tx, e.seq LIMIT ?""";

  private static final String FEED_HEAD =
      """
      SELECT tx::text AS feed_tx, seq FROM ${prefix}events
       WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY tx DESC, seq DESC LIMIT 1""";

  /** Tasks that ended since a time, by minute, status and model (the status index serves it). */
  private static final String ACTIVITY =
      """
      SELECT date_trunc('minute', updated_at) AS minute, status, model, count(*) AS tasks,
             sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
             sum(cost) AS cost
        FROM ${prefix}tasks JOIN ${prefix}task_specs USING (id)
       WHERE status IN ('COMPLETED', 'FAILED') AND updated_at >= ?%s
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""";

  private static final String RECORD_NODE =
      """
      INSERT INTO ${prefix}nodes (node_id, started_at, last_seen, running) VALUES (?, ?, ?, ?)
      ON CONFLICT (node_id) DO UPDATE
         SET started_at = excluded.started_at, last_seen = excluded.last_seen,
             running = excluded.running""";

  private static final String PAUSE_TYPE =
      "INSERT INTO ${prefix}paused_types (type) VALUES (?) ON CONFLICT DO NOTHING";

  private static final String RESUME_TYPE = "DELETE FROM ${prefix}paused_types WHERE type = ?";

  private static final String PAUSED_TYPES = "SELECT type FROM ${prefix}paused_types";

  private static final String FORGET_NODE = "DELETE FROM ${prefix}nodes WHERE node_id = ?";

  private static final String NODES =
      "SELECT * FROM ${prefix}nodes WHERE last_seen >= ? ORDER BY node_id";

  private static final String APPEND_EVENT =
      """
      INSERT INTO ${prefix}events (task_id, from_status, to_status, at, attempt, reason, version)
      SELECT ?::uuid, ?::text, ?::text, ?::timestamptz, ?::int, ?::text, ?::bigint
       WHERE EXISTS (SELECT 1 FROM ${prefix}tasks WHERE id = ?)""";

  /** Every node connected to the task through edges, in either direction, and its edges. */
  private static final String LINEAGE =
      """
      WITH RECURSIVE graph(id) AS (
        SELECT ?::uuid
        UNION
        SELECT next.id FROM graph CROSS JOIN LATERAL (
          SELECT child_id AS id FROM ${prefix}edges WHERE parent_id = graph.id
          UNION ALL
          SELECT parent_id FROM ${prefix}edges WHERE child_id = graph.id) next)
      SELECT e.parent_id, e.child_id FROM ${prefix}edges e
       WHERE e.child_id IN (SELECT id FROM graph)
       ORDER BY e.child_id, e.parent_id""";

  private static final String COUNT_BY_STATUS =
      "SELECT status, count(*) FROM ${prefix}tasks GROUP BY status";

  private static final String COUNT_BY_STATUS_OF_OWNER =
      "SELECT status, count(*) FROM " + TASK_ROWS + " WHERE owner = ? GROUP BY status";

  private static final String USAGE_TOTALS =
      """
      SELECT t.owner, a.model, count(*) AS attempts, sum(a.input_tokens) AS input_tokens,
             sum(a.output_tokens) AS output_tokens, sum(a.cost) AS cost
        FROM ${prefix}attempts a JOIN ${prefix}task_specs t ON t.id = a.task_id
       %s GROUP BY t.owner, a.model ORDER BY t.owner, a.model""";

  /** The first signal of a name for a run; a repeat inserts nothing. */
  private static final String SAVE_SIGNAL =
      """
      INSERT INTO ${prefix}signals (run_id, name, payload, at) VALUES (?, ?, ?, ?)
      ON CONFLICT (run_id, name) DO NOTHING""";

  private static final String SIGNAL =
      "SELECT payload FROM ${prefix}signals WHERE run_id = ? AND name = ?";

  /**
   * Deletes a bounded batch of old terminal tasks with everything that hangs off them, and the
   * signals of the runs whose last tasks they were (the statement's snapshot still holds the specs
   * it deletes, so those are left out of the look for the run's other tasks).
   */
  private static final String PURGE =
      """
      WITH doomed AS (
        SELECT id FROM ${prefix}tasks
         WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND updated_at < ?
         ORDER BY updated_at LIMIT ? FOR UPDATE SKIP LOCKED),
      gone_attempts AS (DELETE FROM ${prefix}attempts WHERE task_id IN (SELECT id FROM doomed)),
      gone_events AS (DELETE FROM ${prefix}events WHERE task_id IN (SELECT id FROM doomed)),
      gone_as_child AS (DELETE FROM ${prefix}edges WHERE child_id IN (SELECT id FROM doomed)),
      gone_as_parent AS (DELETE FROM ${prefix}edges WHERE parent_id IN (SELECT id FROM doomed)),
      purged AS (
        DELETE FROM ${prefix}tasks WHERE id IN (SELECT id FROM doomed)
           AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')
        RETURNING id),
      gone_specs AS (
        DELETE FROM ${prefix}task_specs WHERE id IN (SELECT id FROM purged) RETURNING root_id),
      gone_signals AS (
        DELETE FROM ${prefix}signals g WHERE g.run_id IN (SELECT root_id FROM gone_specs)
           AND NOT EXISTS (
             SELECT 1 FROM ${prefix}task_specs s
              WHERE s.root_id = g.run_id AND s.id NOT IN (SELECT id FROM purged)))
      SELECT count(*) FROM purged""";

  private final String prefix;
  final String channel;
  final String insertTasks;
  final String byIdempotencyKey;
  final String update;
  final String claimNext;
  final String claimGiven;
  final String promoteDue;
  final String renewLeases;
  final String expiredLeases;
  final String nextRunAt;
  final String stale;
  final String get;
  final String getAll;
  final String pendingChildren;
  final String attempts;
  final String attachLateResult;
  final String events;
  final String appendEvent;
  final String feedHead;
  final String activity;
  final String activityOfOwner;
  final String recordNode;
  final String forgetNode;
  final String pauseType;
  final String queuedOfKey;
  final String resumeType;
  final String pausedTypes;
  final String nodes;
  final String lineage;
  final String countByStatus;
  final String countByStatusOfOwner;
  final String usageTotals;
  final String usageTotalsOfOwner;
  final String purge;
  final String saveSignal;
  final String signal;
  final String taskRows;
  final String edgesTable;

  Statements(String prefix) {
    this.channel = prefix + "tasks_queued";
    this.prefix = prefix;
    this.taskRows = render(prefix, TASK_ROWS);
    this.edgesTable = prefix + "edges";
    String notify = notify("");
    insertTasks =
        render(
            prefix,
            INSERT_TASKS.formatted(
                casts(TASK_COLUMNS),
                repeat("?::text[]", TASK_COLUMNS.size()),
                TaskRows.names(TASK_COLUMNS),
                TASK_COLUMNS.stream()
                    .filter(c -> !c.name().equals("turn_at"))
                    .map(c -> "r." + c.name())
                    .collect(Collectors.joining(", ")),
                TaskStore.TURN_SPACING,
                TaskStore.TURN_SPACING,
                TaskRows.names(SPEC_COLUMNS),
                TaskRows.names(SPEC_COLUMNS),
                TaskRows.names(STATE_COLUMNS),
                TaskRows.names(STATE_COLUMNS),
                notify));
    byIdempotencyKey = render(prefix, BY_IDEMPOTENCY_KEY);
    update =
        render(
            prefix,
            UPDATE.formatted(
                casts(CHANGING_COLUMNS),
                repeat("?::text[]", 4 + CHANGING_COLUMNS.size()),
                TaskRows.names(CHANGING_COLUMNS),
                CHANGING_COLUMNS.stream()
                    .map(c -> c.name() + " = i." + c.name())
                    .collect(Collectors.joining(", ")),
                notify("t."),
                TaskRows.names(ATTEMPT_COLUMNS),
                casts(ATTEMPT_COLUMNS),
                repeat("?::text[]", ATTEMPT_COLUMNS.size()),
                TaskRows.names(ATTEMPT_COLUMNS)));
    claimNext = render(prefix, CLAIM.formatted(NEXT_CANDIDATES));
    claimGiven = render(prefix, CLAIM.formatted(GIVEN_CANDIDATES));
    promoteDue = render(prefix, PROMOTE_DUE.formatted(notify));
    renewLeases = render(prefix, RENEW_LEASES);
    expiredLeases = render(prefix, EXPIRED_LEASES);
    nextRunAt = render(prefix, NEXT_RUN_AT);
    stale = render(prefix, STALE);
    get = render(prefix, GET);
    getAll = render(prefix, GET_ALL);
    pendingChildren = render(prefix, PENDING_CHILDREN);
    attempts = render(prefix, ATTEMPTS);
    attachLateResult =
        render(
            prefix,
            ATTACH_LATE_RESULT.formatted(
                java.util.Arrays.stream(AttemptOutcome.values())
                    .filter(AttemptOutcome::keepsLateResult)
                    .map(o -> "'" + o.name() + "'")
                    .collect(Collectors.joining(", "))));
    events = render(prefix, EVENTS);
    appendEvent = render(prefix, APPEND_EVENT);
    feedHead = render(prefix, FEED_HEAD);
    activity = render(prefix, ACTIVITY.formatted(""));
    activityOfOwner = render(prefix, ACTIVITY.formatted(" AND owner = ?"));
    recordNode = render(prefix, RECORD_NODE);
    forgetNode = render(prefix, FORGET_NODE);
    pauseType = render(prefix, PAUSE_TYPE);
    queuedOfKey = render(prefix, QUEUED_OF_KEY);
    resumeType = render(prefix, RESUME_TYPE);
    pausedTypes = render(prefix, PAUSED_TYPES);
    nodes = render(prefix, NODES);
    lineage = render(prefix, LINEAGE);
    countByStatus = render(prefix, COUNT_BY_STATUS);
    countByStatusOfOwner = render(prefix, COUNT_BY_STATUS_OF_OWNER);
    usageTotals = render(prefix, USAGE_TOTALS.formatted(""));
    usageTotalsOfOwner = render(prefix, USAGE_TOTALS.formatted("WHERE t.owner = ?"));
    purge = render(prefix, PURGE);
    saveSignal = render(prefix, SAVE_SIGNAL);
    signal = render(prefix, SIGNAL);
  }

  /** The feed statement with a join on the tasks (for chain and owner filters) and the filters. */
  String feed(boolean joinTasks, String filters) {
    return render(
        prefix,
        FEED.formatted(
            joinTasks ? " JOIN " + prefix + "task_specs t ON t.id = e.task_id" : "", filters));
  }

  private static String render(String prefix, String sql) {
    return sql.replace(SchemaMigrator.PREFIX_PLACEHOLDER, prefix);
  }

  private static String repeat(String s, int n) {
    return String.join(", ", java.util.Collections.nCopies(n, s));
  }

  /** {@code name::type, ...}: the select list that turns text columns into typed ones. */
  private static String casts(List<Column> columns) {
    return columns.stream().map(c -> c.name() + "::" + c.type()).collect(Collectors.joining(", "));
  }

  /** Raises the notification when the task ({@code qualifier} names its row) is QUEUED. */
  private String notify(String qualifier) {
    return "CASE WHEN " + qualifier + "status = 'QUEUED' THEN pg_notify('" + channel + "', '') END";
  }
}
