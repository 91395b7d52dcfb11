package dev.orchestrator.memory;

import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.TaskQueueContract;

class InMemoryTaskQueueTest extends TaskQueueContract {
  @Override
  protected TaskStore newStore() {
    return new InMemoryTaskStore();
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    return new InMemoryTaskQueue();
  }
}
