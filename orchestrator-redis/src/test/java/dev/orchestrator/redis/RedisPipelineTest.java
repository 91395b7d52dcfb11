package dev.orchestrator.redis;

import dev.orchestrator.jdbc.PostgresStores;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.PipelineContract;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Pipelines on the production pair: PostgreSQL as the store, Redis as the queue. */
class RedisPipelineTest extends PipelineContract {
  @RegisterExtension static final PostgresStores stores = new PostgresStores(12);

  // deleted after all tests: the contract stops each test's nodes after this class's own
  // after-each methods would run
  private static final List<String> keyPrefixes = new CopyOnWriteArrayList<>();

  @AfterAll
  static void deleteKeys() {
    keyPrefixes.forEach(p -> RedisTestServer.deleteKeys(RedisTestServer.url(), p));
  }

  @Override
  protected TaskStore newStore() {
    return stores.newStore();
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    String keyPrefix = RedisTestServer.newPrefix(getClass());
    keyPrefixes.add(keyPrefix);
    return RedisTaskQueue.builder().url(RedisTestServer.url()).keyPrefix(keyPrefix).build();
  }
}
