package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * After the database ended every connection (a restart, a failover, {@code pg_terminate_backend}),
 * a read goes through on a fresh connection; a write is not repeated.
 */
class ReadRetryTest {
  private static final String APP = "orchestrator-read-retry-test";

  private PostgresCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A store with a pool of its own, whose connections the test can tell apart and end. */
  private PostgresTaskStore newStore(int poolSize) {
    cluster = new PostgresCluster(getClass());
    String url = PostgresTestDatabase.url();
    return PostgresTaskStore.builder()
        .jdbcUrl(url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + APP, null, null)
        .maximumPoolSize(poolSize)
        .tablePrefix(cluster.prefix())
        .build();
  }

  private void terminateStoreConnections() {
    List<Boolean> killed =
        new Jdbc(cluster.admin())
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
                rs -> rs.getBoolean(1),
                APP);
    assertTrue(!killed.isEmpty() && killed.stream().allMatch(k -> k), "killed " + killed);
  }

  @Test
  void readsRightAfterTheServerEndedEveryConnectionSucceed() {
    PostgresTaskStore store = newStore(4);
    try {
      Task t = store.insert(List.of(TestTasks.queued("survives").build())).get(0);
      for (int round = 0; round < 5; round++) {
        // every pooled connection was used a moment ago, so the pool does not test them first
        assertEquals(Map.of(TaskStatus.QUEUED, 1L), store.countByStatus());
        terminateStoreConnections();
        assertEquals(Map.of(TaskStatus.QUEUED, 1L), store.countByStatus(), "round " + round);
        terminateStoreConnections();
        assertEquals(t.id(), store.get(t.id()).orElseThrow().id());
        terminateStoreConnections();
        assertEquals(1, store.query(TaskQuery.all()).items().size());
        terminateStoreConnections();
        assertEquals(1, store.events(t.id()).size());
      }
    } finally {
      store.close();
    }
  }

  @Test
  void aWriteOnALostConnectionFailsAndIsNotRepeated() throws Exception {
    PostgresTaskStore store = newStore(2);
    try {
      // both pooled connections used a moment ago, so the pool hands one out untested
      try (java.sql.Connection a = store.dataSource().getConnection();
          java.sql.Connection b = store.dataSource().getConnection()) {
        assertTrue(a.isValid(1) && b.isValid(1));
      }
      terminateStoreConnections();
      StoreException e =
          assertThrows(
              StoreException.class,
              () -> store.insert(List.of(TestTasks.queued("lost with its connection").build())));
      assertTrue(e.isConnectionLoss(), e.sqlState());
      assertEquals(Map.of(), store.countByStatus(), "the failed insert wrote nothing");
    } finally {
      store.close();
    }
  }
}
