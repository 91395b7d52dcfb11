package dev.orchestrator.jdbc;

import static dev.orchestrator.jdbc.TestTasks.ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orchestrator.Task;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.testing.TestTasks;
import dev.orchestrator.testing.Waits;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The store vacuums its tasks table after so many claims, in the background. */
class QueueVacuumTest {
  @RegisterExtension static final PostgresStores stores = new PostgresStores(4);

  private static PostgresTaskStore store(long vacuumEvery) {
    PostgresTaskStore plain = stores.newStore(); // migrated tables, dropped after the test
    return PostgresTaskStore.builder()
        .dataSource(stores.dataSource())
        .tablePrefix(plain.tablePrefix())
        .migrate(false)
        .vacuumEvery(vacuumEvery)
        .build();
  }

  private static long vacuums(PostgresTaskStore store) {
    return new Jdbc(stores.dataSource())
        .queryOne(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = ?",
            rs -> rs.getLong(1),
            store.tablePrefix() + "tasks")
        .orElseThrow();
  }

  /** Inserts and claims this many tasks, a hundred per claim. */
  private static void claim(PostgresTaskStore store, int count) {
    List<Task> tasks = new ArrayList<>();
    IntStream.range(0, count).forEach(i -> tasks.add(TestTasks.queued()));
    store.insert(tasks);
    Instant now = Instant.now();
    int claimed = 0;
    while (claimed < count) {
      claimed += store.claimNext(100, new Lease("n", now, now.plusSeconds(30)), ROUTE).size();
    }
  }

  @Test
  void theTasksTableIsVacuumedAfterSoManyClaims() {
    PostgresTaskStore store = store(250);
    claim(store, 1000);
    // statistics reach pg_stat_user_tables when the vacuuming session reports them
    Waits.until(
        "the store vacuumed its tasks table", Duration.ofSeconds(30), () -> vacuums(store) > 0);
  }

  @Test
  void noVacuumWhenTurnedOff() throws Exception {
    PostgresTaskStore off = store(0);
    claim(off, 1000);
    // a vacuum that should run would have: the one above starts on the claim that crosses the mark
    PostgresTaskStore on = store(1000);
    claim(on, 1000);
    Waits.until("the other store vacuumed", Duration.ofSeconds(30), () -> vacuums(on) > 0);
    assertEquals(0, vacuums(off), "a store with vacuumEvery(0) never vacuums");
  }
}
