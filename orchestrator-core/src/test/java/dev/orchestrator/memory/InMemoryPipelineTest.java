package dev.orchestrator.memory;

import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.PipelineContract;

/** Pipelines on the embedded defaults. */
class InMemoryPipelineTest extends PipelineContract {
  @Override
  protected TaskStore newStore() {
    return new InMemoryTaskStore();
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    return new InMemoryTaskQueue();
  }
}
