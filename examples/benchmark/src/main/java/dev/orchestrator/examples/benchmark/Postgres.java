package dev.orchestrator.examples.benchmark;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.jdbc.SchemaMigrator;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The benchmark's database. Every connection the systems under test use, and the one-off
 * connections that create and drop their tables, carry the application name {@link #APP}, so that
 * {@link PgCost} can tell when all of them are gone (and have flushed their statistics).
 */
final class Postgres {
  /** The application name of every connection of a system under test in this JVM. */
  static final String APP = "orchestrator-bench-" + ProcessHandle.current().pid();

  final String url;

  Postgres(String url) {
    this.url = url;
  }

  /** A pool of its own for one node (or peer), closed by its owner. */
  HikariDataSource pool(int size, String name) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(size);
    config.setPoolName(name);
    config.addDataSourceProperty("ApplicationName", APP);
    return new HikariDataSource(config);
  }

  /** Unpooled: each connection is a backend of its own that ends when it is closed. */
  DataSource oneOff() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    ds.setApplicationName(APP);
    return ds;
  }

  /** Drops the orchestrator's tables with this prefix and migrates them afresh. */
  void freshTables(String prefix) throws SQLException {
    dropTables(prefix);
    new SchemaMigrator(oneOff(), prefix).migrate();
  }

  void dropTables(String prefix) {
    new SchemaMigrator(oneOff(), prefix).drop();
  }

  static void execute(DataSource db, String... statements) throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  static long count(DataSource db, String query) throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(query)) {
      r.next();
      return r.getLong(1);
    }
  }
}
