package dev.orchestrator.memory;

import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.OrchestratorContract;

/** The orchestrator's promises on the embedded defaults. */
class InMemoryOrchestratorTest extends OrchestratorContract {
  @Override
  protected TaskStore newStore() {
    return new InMemoryTaskStore();
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    return new InMemoryTaskQueue();
  }
}
