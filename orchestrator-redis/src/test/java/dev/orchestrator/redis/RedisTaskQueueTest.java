package dev.orchestrator.redis;

import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.TaskQueueContract;

/** The Redis queue passes the queue contract every queue passes. */
class RedisTaskQueueTest extends TaskQueueContract {
  @Override
  protected TaskStore newStore() {
    return new InMemoryTaskStore();
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    return RedisTaskQueue.builder()
        .url(RedisTestServer.url())
        .keyPrefix(RedisTestServer.newPrefix(getClass()))
        .build();
  }
}
