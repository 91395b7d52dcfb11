package dev.orchestrator.jdbc;

import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.OrchestratorContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The orchestrator's promises on PostgreSQL, with the table as the work source. */
class PostgresOrchestratorTest extends OrchestratorContract {
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
