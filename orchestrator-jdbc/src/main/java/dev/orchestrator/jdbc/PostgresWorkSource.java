package dev.orchestrator.jdbc;

import dev.orchestrator.Task;
import dev.orchestrator.spi.TaskQueue;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work source of a cluster with PostgreSQL alone (no Redis): the tasks table is the queue.
 * Workers claim straight from it ({@link Claimer#claimNext}, one {@code FOR UPDATE SKIP LOCKED}
 * statement), so {@link #poll} returns the best QUEUED tasks of the whole cluster.
 *
 * <p>Pollers with nothing to claim sleep until woken. {@link PostgresTaskStore} notifies the
 * channel {@code <prefix>tasks_queued} in the same statement as every write that leaves a task
 * QUEUED (insert, promotion, retry, release), so the notification arrives exactly when the write
 * commits. One listener thread per work source holds a dedicated connection (borrowed from the
 * store's DataSource for the work source's life) on which it LISTENs, and wakes the local pollers
 * on every notification. {@link #offer} needs no round trip: the store has already notified, so it
 * only wakes this node's pollers at once. When the listener's connection is lost, pollers fall back
 * to claiming every {@link Builder#fallbackPollInterval} while the listener reconnects.
 */
public final class PostgresWorkSource implements TaskQueue {
  private static final Logger log = LoggerFactory.getLogger(PostgresWorkSource.class);

  /** Longest wait between claims while the listener is down. */
  public static final Duration DEFAULT_FALLBACK_POLL_INTERVAL = Duration.ofSeconds(1);

  /** Wait before the listener tries to reconnect. */
  public static final Duration DEFAULT_RECONNECT_DELAY = Duration.ofSeconds(1);

  /** How long one wait of the listener for notifications lasts (bounds how long close takes). */
  private static final int LISTEN_WAIT_MILLIS = 250;

  /** How long the listener may hear nothing before it checks that its connection still works. */
  private static final long CHECK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final DataSource dataSource;
  private final String channel;
  private final Duration fallbackPollInterval;
  private final Duration reconnectDelay;
  private final Thread listener;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Counts notifications and offers; a poller that saw no work waits for it to move. */
  private long signals;

  /** Counts {@link #wakeUp} calls; a poller returns when it moves. */
  private long wakeUps;

  private volatile boolean listening;
  private volatile boolean closed;

  private PostgresWorkSource(Builder b) {
    this.dataSource = b.store.dataSource();
    this.channel = b.store.notifyChannel();
    this.fallbackPollInterval = b.fallbackPollInterval;
    this.reconnectDelay = b.reconnectDelay;
    this.listener = new Thread(this::listen, "orchestrator-listen-" + channel);
    listener.setDaemon(true);
    listener.start();
  }

  /** A work source on the store's tables with the default intervals. */
  public static PostgresWorkSource of(PostgresTaskStore store) {
    return builder(store).build();
  }

  public static Builder builder(PostgresTaskStore store) {
    return new Builder(store);
  }

  /** True while the listener holds a connection that LISTENs (pollers need not poll). */
  public boolean isListening() {
    return listening;
  }

  @Override
  public void offer(Collection<Task> tasks) {
    if (!tasks.isEmpty()) {
      signal();
    }
  }

  @Override
  public List<Task> poll(Claimer claimer, int max, Duration maxWait) throws InterruptedException {
    long deadline = System.nanoTime() + maxWait.toNanos();
    long seenWakeUps = read(() -> wakeUps);
    while (true) {
      long seenSignals = read(() -> signals);
      List<Task> claimed = claimer.claimNext(max);
      if (!claimed.isEmpty() || closed) {
        return claimed;
      }
      lock.lockInterruptibly();
      try {
        while (signals == seenSignals) {
          long remaining = deadline - System.nanoTime();
          if (wakeUps != seenWakeUps || remaining <= 0) {
            return List.of();
          }
          if (listening) {
            changed.awaitNanos(remaining);
          } else {
            changed.awaitNanos(Math.min(remaining, fallbackPollInterval.toNanos()));
            if (!listening) {
              break; // poll the table: a notification may have been lost with the connection
            }
          }
        }
      } finally {
        lock.unlock();
      }
      if (wakeUps != seenWakeUps) { // read racily: at worst one more claim before returning
        return List.of();
      }
    }
  }

  @Override
  public void wakeUp() {
    lock.lock();
    try {
      wakeUps++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Stops the listener, returns its connection and wakes every poller. */
  @Override
  public void close() {
    closed = true;
    listener.interrupt();
    wakeUp();
    try {
      listener.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void signal() {
    lock.lock();
    try {
      signals++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private long read(java.util.function.LongSupplier counter) {
    lock.lock();
    try {
      return counter.getAsLong();
    } finally {
      lock.unlock();
    }
  }

  /** The listener thread: LISTEN, relay notifications, reconnect after a failure, until closed. */
  private void listen() {
    while (!closed) {
      try (Connection c = dataSource.getConnection()) {
        execute(c, "LISTEN " + channel);
        try {
          listening = true;
          signal(); // tasks may have been queued while nobody listened
          PGConnection pg = c.unwrap(PGConnection.class);
          long lastHeard = System.nanoTime();
          while (!closed) {
            PGNotification[] received = pg.getNotifications(LISTEN_WAIT_MILLIS);
            if (received != null && received.length > 0) {
              signal();
              lastHeard = System.nanoTime();
            } else if (System.nanoTime() - lastHeard > CHECK_AFTER_NANOS) {
              if (!c.isValid(5)) { // a dead peer that sent no FIN only shows this way
                throw new SQLException("the listener's connection no longer answers");
              }
              lastHeard = System.nanoTime();
            }
          }
        } finally {
          listening = false;
          if (!c.isClosed() && c.isValid(1)) {
            execute(c, "UNLISTEN *"); // the connection goes back to a pool
          }
        }
      } catch (SQLException | RuntimeException e) {
        listening = false;
        if (closed) {
          break;
        }
        log.warn(
            "lost the LISTEN connection on {}; polling every {} until it is back: {}",
            channel,
            fallbackPollInterval,
            e.toString());
        signal(); // pollers switch to polling
        try {
          Thread.sleep(reconnectDelay.toMillis());
        } catch (InterruptedException interrupted) {
          if (closed) {
            break;
          }
        }
      }
    }
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Configures a work source. */
  public static final class Builder {
    private final PostgresTaskStore store;
    private Duration fallbackPollInterval = DEFAULT_FALLBACK_POLL_INTERVAL;
    private Duration reconnectDelay = DEFAULT_RECONNECT_DELAY;

    private Builder(PostgresTaskStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** Longest wait between claims while the listener is down; default one second. */
    public Builder fallbackPollInterval(Duration value) {
      fallbackPollInterval = positive(value, "fallbackPollInterval");
      return this;
    }

    /** Wait before each attempt to reconnect the listener; default one second. */
    public Builder reconnectDelay(Duration value) {
      reconnectDelay = positive(value, "reconnectDelay");
      return this;
    }

    /** Starts the listener thread. */
    public PostgresWorkSource build() {
      return new PostgresWorkSource(this);
    }

    private static Duration positive(Duration value, String name) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }
  }
}
