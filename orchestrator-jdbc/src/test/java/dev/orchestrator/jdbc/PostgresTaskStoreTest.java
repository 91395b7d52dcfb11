package dev.orchestrator.jdbc;

import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.TaskStoreContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The PostgreSQL store passes the store contract every store passes. */
class PostgresTaskStoreTest extends TaskStoreContract {
  @RegisterExtension static final PostgresStores stores = new PostgresStores(12);

  @Override
  protected TaskStore newStore() {
    return stores.newStore();
  }
}
