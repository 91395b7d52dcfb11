package dev.orchestrator.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Orchestrator;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Orchestrator nodes of one test, each with its own pool, store and work source on the same tables
 * (as separate service instances would have), torn down together with their tables.
 */
final class PostgresCluster implements AutoCloseable {
  private final HikariDataSource admin = PostgresTestDatabase.dataSource(2);
  private final String prefix;
  private final List<PostgresTaskStore> stores = new ArrayList<>();
  private final List<PostgresWorkSource> sources = new ArrayList<>();
  private final List<Orchestrator> nodes = new ArrayList<>();

  PostgresCluster(Class<?> testClass) {
    prefix = PostgresTestDatabase.newPrefix(testClass);
  }

  /**
   * Starts a node on its own store.
   *
   * @param jdbcUrl the URL its pool connects with
   * @param node builds the (started) node on the store and work source
   */
  Orchestrator start(
      String jdbcUrl,
      int poolSize,
      BiFunction<PostgresTaskStore, PostgresWorkSource, Orchestrator> node) {
    PostgresTaskStore store =
        PostgresTaskStore.builder()
            .jdbcUrl(jdbcUrl, null, null)
            .maximumPoolSize(poolSize)
            .tablePrefix(prefix)
            .build();
    PostgresWorkSource source = PostgresWorkSource.of(store);
    stores.add(store);
    sources.add(source);
    Orchestrator started = node.apply(store, source);
    nodes.add(started);
    return started;
  }

  PostgresTaskStore store(int node) {
    return stores.get(node);
  }

  Orchestrator node(int node) {
    return nodes.get(node);
  }

  /** A pool outside the nodes, for the test's own reads. */
  HikariDataSource admin() {
    return admin;
  }

  String prefix() {
    return prefix;
  }

  @Override
  public void close() {
    nodes.forEach(Orchestrator::close);
    sources.forEach(PostgresWorkSource::close);
    stores.forEach(PostgresTaskStore::close);
    PostgresTestDatabase.drop(admin, prefix);
    admin.close();
  }
}
