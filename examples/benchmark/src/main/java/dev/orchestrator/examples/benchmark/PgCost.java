package dev.orchestrator.examples.benchmark;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one phase cost the database, per task: read before and after on a connection of its own.
 *
 * <ul>
 *   <li>statements: JDBC {@code execute*} calls through the system's DataSource ({@link
 *       CountingDataSource}; a batch counts once), only for the orchestrator;
 *   <li>commits: the delta of {@code pg_stat_database.xact_commit} of the database: every
 *       transaction, read-only ones included, of anyone working in that database meanwhile;
 *   <li>WAL: {@code pg_wal_lsn_diff} of {@code pg_current_wal_lsn()}, for the whole cluster;
 *   <li>rows written: the delta of {@code n_tup_ins + n_tup_upd + n_tup_del} of {@code
 *       pg_stat_user_tables} over the system's tables.
 * </ul>
 *
 * <p>A backend sends its counts to the shared statistics only now and then (on PostgreSQL 15, when
 * idle and at least a second after its last flush; {@code pg_stat_force_next_flush()} acts only on
 * the calling backend), and always when it exits. So both readings wait until no connection of the
 * benchmark ({@link Postgres#APP}) is left: the caller creates the tables on one-off connections
 * before {@link #begin} and closes its pools before {@link #end}. Each reading is a transaction of
 * its own that starts with {@code pg_stat_clear_snapshot()}.
 */
final class PgCost implements AutoCloseable {
  private static final Duration BACKENDS_GONE = Duration.ofSeconds(30);

  /** Per task of a phase; statements and rows are null where not counted. */
  record Cost(long tasks, Long statements, long commits, long walBytes, Long rows) {
    String statementsPerTask() {
      return statements == null ? "-" : perTask(statements);
    }

    String commitsPerTask() {
      return perTask(commits);
    }

    String walPerTask() {
      return String.format(Locale.ROOT, "%,.0f B", walBytes / (double) tasks);
    }

    String rowsPerTask() {
      return rows == null ? "-" : perTask(rows);
    }

    /** Two decimals; four below 0.01 (a batch statement shared by a thousand tasks). */
    private String perTask(long total) {
      double each = total / (double) tasks;
      return String.format(Locale.ROOT, each != 0 && each < 0.01 ? "%.4f" : "%.2f", each);
    }
  }

  private final Connection monitor;
  private final LongAdder statements;
  private final String tables;
  private final long statementsBefore;
  private final String lsnBefore;
  private final long commitsBefore;
  private final long rowsBefore;

  /**
   * @param statements the counter of the system's statements, or null
   * @param tables an SQL condition on {@code pg_stat_user_tables} that picks the system's tables
   */
  private PgCost(Postgres pg, LongAdder statements, String tables) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("ApplicationName", Postgres.APP + "-stats");
    this.monitor = DriverManager.getConnection(pg.url, properties);
    this.statements = statements;
    this.tables = tables;
    try {
      awaitBackendsGone();
      statementsBefore = statements == null ? 0 : statements.sum();
      try (Statement s = monitor.createStatement();
          ResultSet r = s.executeQuery(reading("pg_current_wal_lsn()::text"))) {
        r.next();
        lsnBefore = r.getString(1);
        commitsBefore = r.getLong(2);
        rowsBefore = r.getLong(3);
      }
    } catch (SQLException | RuntimeException e) {
      monitor.close();
      throw e;
    }
  }

  static PgCost begin(Postgres pg, LongAdder statements, String tables) throws SQLException {
    return new PgCost(pg, statements, tables);
  }

  /** The cost of the phase, once its pools are closed; divided by the tasks it ran. */
  Cost end(long tasks) throws SQLException {
    long statementCount = statements == null ? 0 : statements.sum() - statementsBefore;
    awaitBackendsGone();
    try (PreparedStatement s =
        monitor.prepareStatement(
            reading("pg_wal_lsn_diff(pg_current_wal_lsn(), ?::pg_lsn)::bigint"))) {
      s.setString(1, lsnBefore);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return new Cost(
            Math.max(1, tasks),
            statements == null ? null : statementCount,
            r.getLong(2) - commitsBefore,
            r.getLong(1),
            r.getLong(3) - rowsBefore);
      }
    }
  }

  /** One row: the WAL expression, the database's commits, the rows written to the tables. */
  private String reading(String wal) {
    return "SELECT "
        + wal
        + ","
        + " (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),"
        + " (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
        + " WHERE "
        + tables
        + ")"
        + " FROM (SELECT pg_stat_clear_snapshot()) AS fresh";
  }

  /** Waits until every backend of the benchmark's connections has exited (and so flushed). */
  private void awaitBackendsGone() throws SQLException {
    try (PreparedStatement s =
        monitor.prepareStatement(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
      s.setString(1, Postgres.APP);
      Workload.await(
          "the benchmark's database connections to end",
          BACKENDS_GONE,
          () -> {
            try (ResultSet r = s.executeQuery()) {
              r.next();
              return r.getLong(1) == 0;
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          });
    }
  }

  @Override
  public void close() throws SQLException {
    monitor.close();
  }
}
