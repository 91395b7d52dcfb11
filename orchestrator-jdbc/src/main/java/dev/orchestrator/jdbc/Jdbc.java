package dev.orchestrator.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The store's tiny JDBC helper: borrow a connection, bind positional parameters, map rows, run a
 * transaction, turn {@link SQLException} into {@link StoreException}. Parameters are bound with
 * {@code setObject}, except that an {@link Instant} goes as a {@code timestamptz} truncated to the
 * microsecond PostgreSQL keeps, and an enum as its name.
 */
final class Jdbc {
  /** Maps the current row of a result set. */
  @FunctionalInterface
  interface Row<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /** Work done on one connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final DataSource dataSource;

  Jdbc(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  DataSource dataSource() {
    return dataSource;
  }

  /** Runs the work on a connection in autocommit mode: each statement is its own transaction. */
  <T> T withConnection(Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      throw StoreException.of(e);
    }
  }

  /**
   * Runs the work in one transaction: committed when it returns, rolled back when it throws. The
   * pool restores autocommit when the connection goes back.
   */
  <T> T inTransaction(Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(c, e);
        throw e;
      }
    } catch (SQLException e) {
      throw StoreException.of(e);
    }
  }

  <T> List<T> query(String sql, Row<T> row, Object... params) {
    return withConnection(c -> query(c, sql, row, params));
  }

  <T> Optional<T> queryOne(String sql, Row<T> row, Object... params) {
    List<T> rows = query(sql, row, params);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  /**
   * Runs a statement that only reads. When it fails because the connection was lost (the server
   * restarted, failed over, or a DBA ended the session), it runs once more on a fresh connection:
   * the pool's idle connections date from before the loss too, so they are evicted first. A write
   * is never repeated this way: its outcome would be unknown.
   */
  <T> List<T> read(String sql, Row<T> row, Object... params) {
    try {
      return query(sql, row, params);
    } catch (StoreException e) {
      if (!e.isConnectionLoss()) {
        throw e;
      }
      if (dataSource instanceof HikariDataSource pool && pool.getHikariPoolMXBean() != null) {
        pool.getHikariPoolMXBean().softEvictConnections();
      }
      return query(sql, row, params);
    }
  }

  <T> Optional<T> readOne(String sql, Row<T> row, Object... params) {
    List<T> rows = read(sql, row, params);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  int update(String sql, Object... params) {
    return withConnection(c -> update(c, sql, params));
  }

  static <T> List<T> query(Connection c, String sql, Row<T> row, Object... params)
      throws SQLException {
    try (PreparedStatement ps = prepare(c, sql, params);
        ResultSet rs = ps.executeQuery()) {
      List<T> result = new ArrayList<>();
      while (rs.next()) {
        result.add(row.map(rs));
      }
      return result;
    }
  }

  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = prepare(c, sql, params)) {
      return ps.executeUpdate();
    }
  }

  private static PreparedStatement prepare(Connection c, String sql, Object... params)
      throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    try {
      bind(ps, params);
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  private static void bind(PreparedStatement ps, Object... params) throws SQLException {
    for (int i = 0; i < params.length; i++) {
      ps.setObject(i + 1, toParameter(params[i]));
    }
  }

  private static Object toParameter(Object value) {
    if (value instanceof Instant instant) {
      return OffsetDateTime.ofInstant(truncate(instant), ZoneOffset.UTC);
    }
    if (value instanceof Enum<?> e) {
      return e.name();
    }
    return value;
  }

  /** An instant as PostgreSQL stores it: to the microsecond. */
  static Instant truncate(Instant instant) {
    return instant == null ? null : instant.truncatedTo(ChronoUnit.MICROS);
  }

  /** Reads a {@code timestamptz} column, null as null. */
  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /** Reads an integer column that may be null. */
  static Long nullableLong(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
