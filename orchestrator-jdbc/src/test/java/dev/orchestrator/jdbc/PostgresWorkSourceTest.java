package dev.orchestrator.jdbc;

import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.TaskQueueContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The PostgreSQL work source passes the queue contract every queue passes. */
class PostgresWorkSourceTest extends TaskQueueContract {
  @RegisterExtension static final PostgresStores stores = new PostgresStores(12);

  @Override
  protected TaskStore newStore() {
    return stores.newStore();
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    return PostgresWorkSource.of((PostgresTaskStore) store);
  }
}
