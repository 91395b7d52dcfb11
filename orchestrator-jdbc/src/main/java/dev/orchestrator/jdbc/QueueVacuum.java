package dev.orchestrator.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vacuums the tasks table after every so many claims. A claim moves a task out of the queue index
 * ({@code status = 'QUEUED'}) by writing a new row version; the old version's index entry stays
 * until a vacuum removes it, and every claim walks past the dead entries at the head of the queue
 * before it reaches a live one. Autovacuum visits a database at most once a minute, while a busy
 * queue leaves tens of thousands of dead entries a second: without this, each claim costs more than
 * the last (measured: 100,000 tasks ran at 524 tasks/s instead of 5,500). The vacuum runs on its
 * own thread and connection, one at a time per node and, through an advisory lock, per cluster; a
 * role that may not vacuum the table is told once and the store goes on without. Internal.
 */
final class QueueVacuum {
  private static final Logger log = LoggerFactory.getLogger(QueueVacuum.class);

  private final DataSource dataSource;
  private final String table;
  private final long lockKey;
  private final long every;
  private final AtomicLong sinceLast = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile boolean refused;

  /**
   * @param every claims between two vacuums; 0 turns it off
   */
  QueueVacuum(DataSource dataSource, String prefix, long every) {
    this.dataSource = dataSource;
    this.table = prefix + "tasks";
    this.lockKey = ("dev.orchestrator.jdbc.vacuum/" + table).hashCode();
    this.every = every;
  }

  /** Counts claimed tasks; starts a vacuum in the background when enough have been. */
  void claimed(int count) {
    if (every == 0 || refused || count == 0 || sinceLast.addAndGet(count) < every) {
      return;
    }
    if (!running.compareAndSet(false, true)) {
      return;
    }
    sinceLast.set(0);
    Thread t = new Thread(this::vacuum, "orchestrator-vacuum-" + table);
    t.setDaemon(true);
    t.start();
  }

  private void vacuum() {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      c.setAutoCommit(true);
      try (var rs = s.executeQuery("SELECT pg_try_advisory_lock(" + lockKey + ")")) {
        if (!rs.next() || !rs.getBoolean(1)) {
          return; // another node is vacuuming the table now
        }
      }
      try {
        s.execute("VACUUM " + table);
        if (s.getWarnings() != null && s.getWarnings().getMessage().contains("skipping")) {
          // PostgreSQL skips a table the role does not own, with a warning
          refused = true;
          log.warn(
              "may not vacuum {} ({}): claims slow down until autovacuum runs",
              table,
              s.getWarnings().getMessage());
        }
      } finally {
        s.execute("SELECT pg_advisory_unlock(" + lockKey + ")");
      }
    } catch (SQLException e) {
      log.debug("vacuum of {} failed; the next one is tried later", table, e);
    } finally {
      running.set(false);
    }
  }
}
