package dev.orchestrator.jdbc;

import static dev.orchestrator.jdbc.TestTasks.ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Task;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The work source across nodes: a write on one node wakes a poller on another through NOTIFY (no
 * offer on the poller's node), and a poller keeps finding work while the LISTEN connection is lost,
 * until the listener is back.
 */
class PostgresWorkSourceListenTest {
  private static final Duration LONG = Duration.ofSeconds(30);

  private HikariDataSource dataSource;
  private PostgresTaskStore writer;
  private PostgresTaskStore reader;
  private PostgresWorkSource source;

  @BeforeEach
  void open() {
    dataSource = PostgresTestDatabase.dataSource(6);
    writer = PostgresTestDatabase.newStore(dataSource, getClass());
    reader =
        PostgresTaskStore.builder()
            .dataSource(dataSource)
            .tablePrefix(writer.tablePrefix())
            .build();
    source =
        PostgresWorkSource.builder(reader).fallbackPollInterval(Duration.ofMillis(200)).build();
    Waits.until("listening", LONG, source::isListening);
  }

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
    if (dataSource != null) { // null when the set-up was skipped for want of a server
      if (writer != null) {
        PostgresTestDatabase.drop(dataSource, writer.tablePrefix());
      }
      dataSource.close();
    }
  }

  @Test
  void aTaskQueuedByAnotherNodeWakesABlockedPoll() throws Exception {
    CompletableFuture<List<Task>> poll = pollAsync(LONG);
    Thread.sleep(100); // let the poller block: it must be woken by the notification, not find work
    long start = System.nanoTime();
    Task t = writer.insert(List.of(TestTasks.queued("from another node").build())).get(0);
    List<Task> got = poll.get(LONG.toSeconds(), TimeUnit.SECONDS);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(List.of(t.id()), got.stream().map(Task::id).toList());
    assertTrue(millis < 2_000, "woken after " + millis + " ms");
  }

  @Test
  void pollersFallBackToPollingWhileTheListenerIsDownAndItReconnects() throws Exception {
    int killed =
        new Jdbc(dataSource)
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE query = 'LISTEN "
                    + reader.notifyChannel()
                    + "'",
                rs -> rs.getBoolean(1))
            .size();
    assertEquals(1, killed, "the listener's backend");
    Waits.until("listener noticed", LONG, () -> !source.isListening());
    Task t = writer.insert(List.of(TestTasks.queued("while deaf").build())).get(0);
    List<Task> got = pollAsync(LONG).get(LONG.toSeconds(), TimeUnit.SECONDS);
    assertEquals(List.of(t.id()), got.stream().map(Task::id).toList());
    Waits.until("listener reconnected", LONG, source::isListening);
    aTaskQueuedByAnotherNodeWakesABlockedPoll();
  }

  @Test
  void wakeUpReleasesAPollAtOnce() throws Exception {
    CompletableFuture<List<Task>> poll = pollAsync(LONG);
    Thread.sleep(100);
    long start = System.nanoTime();
    source.wakeUp();
    assertEquals(List.of(), poll.get(LONG.toSeconds(), TimeUnit.SECONDS));
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
  }

  private CompletableFuture<List<Task>> pollAsync(Duration maxWait) {
    TaskQueue.Claimer claimer =
        new TaskQueue.Claimer() {
          @Override
          public dev.orchestrator.spi.Route route() {
            return ROUTE;
          }

          @Override
          public List<Task> claim(Collection<UUID> ids) {
            return reader.claim(ids, lease());
          }

          @Override
          public List<Task> claimNext(int max) {
            return reader.claimNext(max, lease(), ROUTE);
          }
        };
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return source.poll(claimer, 1, maxWait);
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static Lease lease() {
    Instant now = Instant.now();
    return new Lease("reader", now, now.plusSeconds(30));
  }
}
