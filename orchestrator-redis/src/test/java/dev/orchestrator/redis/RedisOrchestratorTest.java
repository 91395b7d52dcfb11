package dev.orchestrator.redis;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.jdbc.PostgresTestDatabase;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.OrchestratorContract;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The orchestrator's promises on the production pair: PostgreSQL as the store and Redis as the
 * queue (routing, pause, bulk actions, timeouts, continuations: the whole contract).
 */
class RedisOrchestratorTest extends OrchestratorContract {
  private static HikariDataSource dataSource;
  // dropped after all tests: the contract closes each test's nodes after the subclass's own
  // after-each methods would run
  private static final List<String> tablePrefixes = new ArrayList<>();
  private static final List<String> keyPrefixes = new ArrayList<>();

  @BeforeAll
  static void pool() {
    dataSource = PostgresTestDatabase.dataSource(12);
  }

  @AfterAll
  static void dropAll() {
    tablePrefixes.forEach(p -> PostgresTestDatabase.drop(dataSource, p));
    keyPrefixes.forEach(p -> RedisTestServer.deleteKeys(RedisTestServer.url(), p));
    dataSource.close();
  }

  @Override
  protected TaskStore newStore() {
    var store = PostgresTestDatabase.newStore(dataSource, getClass());
    tablePrefixes.add(store.tablePrefix());
    return store;
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    String keyPrefix = RedisTestServer.newPrefix(getClass());
    keyPrefixes.add(keyPrefix);
    return RedisTaskQueue.builder().url(RedisTestServer.url()).keyPrefix(keyPrefix).build();
  }
}
