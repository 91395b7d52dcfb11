package dev.orchestrator.examples.benchmark;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The verdict of a chaos run, read from the database after the drain: the store's rows are the
 * truth, whatever the nodes believed.
 *
 * <ul>
 *   <li><b>lost</b>: submitted tasks absent from the tasks table, or not terminal.
 *   <li><b>double_completed</b>: tasks with more than one event to COMPLETED, or more than one
 *       SUCCEEDED attempt record.
 *   <li><b>completed_after_cancel</b>: tasks with an event to COMPLETED after one to CANCELLED, or
 *       whose cancel call returned CANCELLED but that are not CANCELLED now.
 *   <li><b>recovery</b>: for each attempt that ended LEASE_EXPIRED on a killed worker, the time
 *       from the kill to the start of the task's next attempt (or, with none, to its terminal
 *       change); for one orphaned by the PostgreSQL restart (its node lived on but could not renew
 *       or record its end), the same from the restart; and the time from the restart to the first
 *       completion after it. The maximum of all is {@code max_recovery_s}.
 * </ul>
 */
final class ChaosCheck {
  /** What the harness knows about the run besides the database. */
  record Run(
      Map<UUID, Integer> submitted,
      Set<UUID> cancelCalls,
      Map<String, Instant> kills,
      Instant postgresRestartBegin,
      Instant postgresRestartEnd) {}

  /** How long a task waited QUEUED for a claim (the longest of the run, longest first). */
  record Wait(UUID taskId, int attempt, Instant queuedAt, Duration waited) {}

  /** One LEASE_EXPIRED attempt and how long its task took to move on. */
  record Orphan(UUID taskId, int number, String worker, String cause, Duration recovery) {}

  record Result(
      Map<UUID, String> status,
      int submitted,
      int completed,
      int failed,
      int cancelled,
      List<UUID> lost,
      Map<UUID, String> notTerminal,
      int extraRows,
      List<UUID> doubleCompleted,
      List<UUID> completedAfterCancel,
      int cancelledWhileRunning,
      Map<String, Integer> attemptOutcomes,
      List<Orphan> orphans,
      Duration postgresFirstCompletion,
      int claimMismatches,
      List<Wait> slowestWaits) {

    Duration maxRecovery() {
      Duration max = postgresFirstCompletion == null ? Duration.ZERO : postgresFirstCompletion;
      for (Orphan o : orphans) {
        if (o.recovery() != null && o.recovery().compareTo(max) > 0) {
          max = o.recovery();
        }
      }
      return max;
    }

    /** LEASE_EXPIRED attempts by cause (kill, postgres restart, other). */
    Map<String, Integer> orphansByCause() {
      Map<String, Integer> by = new TreeMap<>();
      orphans.forEach(o -> by.merge(o.cause(), 1, Integer::sum));
      return by;
    }

    /** The worst recovery of each cause. */
    Map<String, Duration> worstByCause() {
      Map<String, Duration> by = new TreeMap<>();
      for (Orphan o : orphans) {
        if (o.recovery() != null) {
          by.merge(o.cause(), o.recovery(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
      }
      return by;
    }
  }

  static final String KILL = "kill";
  static final String POSTGRES = "postgres restart";
  static final String OTHER = "other (node alive)";

  private final DataSource dataSource;
  private final String prefix;

  ChaosCheck(DataSource dataSource, String prefix) {
    this.dataSource = dataSource;
    this.prefix = prefix;
  }

  Result check(Run run) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      Map<UUID, String> status = new HashMap<>();
      query(c, "SELECT id, status FROM ${p}tasks", rs -> status.put(uuid(rs, 1), rs.getString(2)));
      List<UUID> lost = new ArrayList<>();
      Map<UUID, String> notTerminal = new LinkedHashMap<>();
      int completed = 0;
      int failed = 0;
      int cancelled = 0;
      for (UUID id : run.submitted().keySet()) {
        String s = status.get(id);
        if (s == null) {
          lost.add(id);
          continue;
        }
        switch (s) {
          case "COMPLETED" -> completed++;
          case "FAILED" -> failed++;
          case "CANCELLED" -> cancelled++;
          default -> {
            lost.add(id);
            notTerminal.put(id, s);
          }
        }
      }
      int extra =
          (int) status.keySet().stream().filter(id -> !run.submitted().containsKey(id)).count();

      List<UUID> doubles = new ArrayList<>();
      query(
          c,
          """
          SELECT task_id FROM ${p}events WHERE to_status = 'COMPLETED'
           GROUP BY task_id HAVING count(*) > 1
          UNION
          SELECT task_id FROM ${p}attempts WHERE outcome = 'SUCCEEDED'
           GROUP BY task_id HAVING count(*) > 1""",
          rs -> doubles.add(uuid(rs, 1)));

      Set<UUID> afterCancel = new HashSet<>();
      query(
          c,
          """
          SELECT DISTINCT c.task_id FROM ${p}events c
            JOIN ${p}events d ON d.task_id = c.task_id AND d.seq > c.seq
                             AND d.to_status = 'COMPLETED'
           WHERE c.to_status = 'CANCELLED'""",
          rs -> afterCancel.add(uuid(rs, 1)));
      for (UUID id : run.cancelCalls()) {
        if (!"CANCELLED".equals(status.get(id))) {
          afterCancel.add(id);
        }
      }

      int[] whileRunning = new int[1];
      query(
          c,
          "SELECT count(*) FROM ${p}events WHERE to_status = 'CANCELLED' AND from_status = 'RUNNING'",
          rs -> whileRunning[0] = rs.getInt(1));

      Map<String, Integer> outcomes = new TreeMap<>();
      query(
          c,
          "SELECT outcome, count(*) FROM ${p}attempts GROUP BY outcome",
          rs -> outcomes.put(rs.getString(1), rs.getInt(2)));

      List<Orphan> orphans = new ArrayList<>();
      query(
          c,
          """
          SELECT a.task_id, a.number, a.worker, a.started_at,
                 coalesce(n.started_at, t.finished_at) AS recovered_at
            FROM ${p}attempts a
            JOIN ${p}tasks t ON t.id = a.task_id
            LEFT JOIN ${p}attempts n ON n.task_id = a.task_id AND n.number = a.number + 1
           WHERE a.outcome = 'LEASE_EXPIRED'
           ORDER BY a.started_at""",
          rs -> orphans.add(orphan(run, rs)));

      Duration firstCompletion = null;
      if (run.postgresRestartBegin() != null) {
        try (PreparedStatement ps =
            c.prepareStatement(
                sql("SELECT min(at) FROM ${p}events WHERE to_status = 'COMPLETED' AND at > ?"))) {
          // a completion stamped while the server was going down committed before, or never
          ps.setTimestamp(1, Timestamp.from(run.postgresRestartEnd()));
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            Timestamp at = rs.getTimestamp(1);
            if (at != null) {
              firstCompletion = Duration.between(run.postgresRestartBegin(), at.toInstant());
            }
          }
        }
      }

      // a claim committed without waiting for the WAL flush and lost in the PostgreSQL crash, then
      // claimed again by another node, would leave an attempt recorded by a node the claim event
      // does not name
      int[] mismatches = new int[1];
      query(
          c,
          """
          SELECT count(*) FROM ${p}attempts a
            JOIN ${p}events e ON e.task_id = a.task_id AND e.attempt = a.number
                             AND e.from_status = 'QUEUED' AND e.to_status = 'RUNNING'
           WHERE a.outcome <> 'CANCELLED' AND e.reason <> 'claimed by ' || a.worker""",
          rs -> mismatches[0] = rs.getInt(1));

      // the longest waits from QUEUED (submitted, promoted, retried) to the next claim: a hint the
      // queue lost shows here, waiting for the reconciler
      List<Wait> waits = new ArrayList<>();
      query(
          c,
          """
          SELECT q.task_id, q.attempt, q.at, extract(epoch FROM r.at - q.at) AS wait
            FROM ${p}events q
            CROSS JOIN LATERAL (
              SELECT min(e.at) AS at FROM ${p}events e
               WHERE e.task_id = q.task_id AND e.seq > q.seq AND e.from_status = 'QUEUED') r
           WHERE q.to_status = 'QUEUED' AND r.at IS NOT NULL
           ORDER BY wait DESC LIMIT 10000""",
          rs ->
              waits.add(
                  new Wait(
                      uuid(rs, 1),
                      rs.getInt(2),
                      rs.getTimestamp(3).toInstant(),
                      Duration.ofMillis(Math.round(rs.getDouble(4) * 1000)))));

      return new Result(
          status,
          run.submitted().size(),
          completed,
          failed,
          cancelled,
          lost,
          notTerminal,
          extra,
          doubles,
          List.copyOf(afterCancel),
          whileRunning[0],
          outcomes,
          orphans,
          firstCompletion,
          mismatches[0],
          waits);
    }
  }

  private static Orphan orphan(Run run, ResultSet rs) throws SQLException {
    UUID id = uuid(rs, 1);
    int number = rs.getInt(2);
    String worker = rs.getString(3);
    Instant started = rs.getTimestamp(4).toInstant();
    Timestamp recoveredAt = rs.getTimestamp(5);
    Instant killed = run.kills().get(worker);
    String cause;
    Instant from;
    if (killed != null && started.isBefore(killed)) {
      cause = KILL;
      from = killed;
    } else if (run.postgresRestartBegin() != null && started.isBefore(run.postgresRestartEnd())) {
      cause = POSTGRES;
      from = run.postgresRestartBegin();
    } else {
      cause = OTHER;
      from = started;
    }
    Duration recovery =
        recoveredAt == null ? null : Duration.between(from, recoveredAt.toInstant());
    return new Orphan(id, number, worker, cause, recovery);
  }

  /** The events of one task, for evidence in the report. */
  List<String> history(UUID id) throws SQLException {
    List<String> lines = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                sql(
                    "SELECT seq, at, from_status, to_status, attempt, reason FROM ${p}events"
                        + " WHERE task_id = ? ORDER BY seq"))) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          lines.add(
              "#%d %s %s->%s attempt %d: %s"
                  .formatted(
                      rs.getLong(1),
                      rs.getTimestamp(2).toInstant(),
                      rs.getString(3),
                      rs.getString(4),
                      rs.getInt(5),
                      rs.getString(6)));
        }
      }
    }
    return lines;
  }

  private interface Row {
    void accept(ResultSet rs) throws SQLException;
  }

  private void query(Connection c, String sql, Row row) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql(sql));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        row.accept(rs);
      }
    }
  }

  private String sql(String template) {
    return template.replace("${p}", prefix);
  }

  private static UUID uuid(ResultSet rs, int column) throws SQLException {
    return rs.getObject(column, UUID.class);
  }
}
