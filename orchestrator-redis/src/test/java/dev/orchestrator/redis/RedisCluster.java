package dev.orchestrator.redis;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Orchestrator;
import dev.orchestrator.jdbc.PostgresTaskStore;
import dev.orchestrator.jdbc.PostgresTestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Orchestrator nodes of one test as separate service instances would run them: each with its own
 * PostgreSQL pool and store on the same tables, and its own Redis clients (queue, event bus) under
 * the same key prefix. Torn down together, tables dropped.
 */
final class RedisCluster implements AutoCloseable {
  private final String redisUrl;
  private final String keyPrefix;
  private final HikariDataSource admin = PostgresTestDatabase.dataSource(2);
  private final String tablePrefix;
  private final List<AutoCloseable> parts = new ArrayList<>();
  private final List<Orchestrator> nodes = new ArrayList<>();
  private final List<RedisEventBus> buses = new ArrayList<>();
  private final List<PostgresTaskStore> stores = new ArrayList<>();
  private final List<RedisTaskQueue> queues = new ArrayList<>();

  RedisCluster(Class<?> testClass, String redisUrl) {
    this.redisUrl = redisUrl;
    this.keyPrefix = RedisTestServer.newPrefix(testClass);
    this.tablePrefix = PostgresTestDatabase.newPrefix(testClass);
  }

  /**
   * Starts a node.
   *
   * @param configure adds handlers and settings to a builder that has the store, queue and bus
   */
  Orchestrator start(String nodeId, UnaryOperator<Orchestrator.Builder> configure) {
    PostgresTaskStore store =
        PostgresTaskStore.builder()
            .jdbcUrl(PostgresTestDatabase.url(), null, null)
            .maximumPoolSize(6)
            .tablePrefix(tablePrefix)
            .build();
    RedisTaskQueue queue = RedisTaskQueue.builder().url(redisUrl).keyPrefix(keyPrefix).build();
    RedisEventBus bus = RedisEventBus.builder().url(redisUrl).keyPrefix(keyPrefix).build();
    parts.add(store);
    stores.add(store);
    parts.add(queue);
    parts.add(bus);
    buses.add(bus);
    queues.add(queue);
    Orchestrator node =
        configure
            .apply(Orchestrator.builder().store(store).queue(queue).eventBus(bus).nodeId(nodeId))
            .build()
            .start();
    nodes.add(node);
    return node;
  }

  /** A rate limiter on the cluster's Redis and key prefix, closed with the cluster. */
  RedisRateLimiter limiter(RedisRateLimiter.Builder b) {
    RedisRateLimiter limiter = b.url(redisUrl).keyPrefix(keyPrefix).build();
    parts.add(limiter);
    return limiter;
  }

  PostgresTaskStore store(int node) {
    return stores.get(node);
  }

  RedisTaskQueue queue(int node) {
    return queues.get(node);
  }

  RedisEventBus bus(int node) {
    return buses.get(node);
  }

  @Override
  public void close() throws Exception {
    nodes.forEach(Orchestrator::close);
    for (AutoCloseable part : parts) {
      part.close();
    }
    PostgresTestDatabase.drop(admin, tablePrefix);
    admin.close();
    if (RedisTestServer.answers(redisUrl)) {
      RedisTestServer.deleteKeys(redisUrl, keyPrefix);
    }
  }
}
