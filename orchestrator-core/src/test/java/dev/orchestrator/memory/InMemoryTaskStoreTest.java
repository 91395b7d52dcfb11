package dev.orchestrator.memory;

import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.TaskStoreContract;

class InMemoryTaskStoreTest extends TaskStoreContract {
  @Override
  protected TaskStore newStore() {
    return new InMemoryTaskStore();
  }
}
