package dev.orchestrator.jdbc;

import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.PipelineContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Pipelines on PostgreSQL, with its work source. */
class PostgresPipelineTest extends PipelineContract {
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
