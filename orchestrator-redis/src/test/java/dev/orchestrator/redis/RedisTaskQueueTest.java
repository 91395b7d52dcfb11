package dev.orchestrator.redis;

import static dev.orchestrator.testing.TestTasks.ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orchestrator.Task;
import dev.orchestrator.memory.InMemoryTaskStore;
import dev.orchestrator.spi.Lease;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.TaskQueueContract;
import dev.orchestrator.testing.TestTasks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** The Redis queue passes the queue contract every queue passes, and never hoards ids. */
class RedisTaskQueueTest extends TaskQueueContract {
  private String prefix;

  @Override
  protected TaskStore newStore() {
    return new InMemoryTaskStore();
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    prefix = RedisTestServer.newPrefix(getClass());
    return RedisTaskQueue.builder().url(RedisTestServer.url()).keyPrefix(prefix).build();
  }

  @AfterEach
  void deleteKeys() {
    RedisTestServer.deleteKeys(RedisTestServer.url(), prefix);
  }

  private TaskQueue.Claimer claimer(String node) {
    Lease lease = new Lease(node, TestTasks.T0, TestTasks.T0.plusSeconds(30));
    return new TaskQueue.Claimer() {
      @Override
      public dev.orchestrator.spi.Route route() {
        return ROUTE;
      }

      @Override
      public List<Task> claim(Collection<UUID> ids) {
        return store.claim(ids, lease);
      }

      @Override
      public List<Task> claimNext(int max) {
        return store.claimNext(max, lease, ROUTE);
      }
    };
  }

  @Test
  void aPollTakesNoMoreIdsThanItsFreeSlots() throws Exception {
    // the first poll of a queue catches up from the store; let it find nothing
    assertEquals(List.of(), queue.poll(claimer("a"), 1, Duration.ofMillis(10)));
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      tasks.add(TestTasks.queued());
    }
    queue.offer(store.insert(tasks));
    assertEquals(1, queue.poll(claimer("busy-node"), 1, Duration.ofSeconds(1)).size());
    try (RedisClient redis = RedisClient.create(RedisTestServer.url())) {
      // the other four stay in Redis for any node with a free worker
      assertEquals(4, redis.zcard(prefix + "{queue}:ready:7:default:llm"));
    }
    assertEquals(4, queue.poll(claimer("idle-node"), 8, Duration.ofSeconds(1)).size());
  }
}
