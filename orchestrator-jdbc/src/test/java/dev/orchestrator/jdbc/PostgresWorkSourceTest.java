package dev.orchestrator.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.spi.TaskQueue;
import dev.orchestrator.spi.TaskStore;
import dev.orchestrator.testing.TaskQueueContract;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The PostgreSQL work source passes the queue contract every queue passes. */
class PostgresWorkSourceTest extends TaskQueueContract {
  private static HikariDataSource dataSource;
  private final List<String> prefixes = new ArrayList<>();

  @BeforeAll
  static void connect() {
    dataSource = PostgresTestDatabase.dataSource(12);
  }

  @AfterAll
  static void disconnect() {
    if (dataSource != null) {
      dataSource.close();
    }
  }

  @Override
  protected TaskStore newStore() {
    PostgresTaskStore created = PostgresTestDatabase.newStore(dataSource, getClass());
    prefixes.add(created.tablePrefix());
    return created;
  }

  @Override
  protected TaskQueue newQueue(TaskStore store) {
    return PostgresWorkSource.of((PostgresTaskStore) store);
  }

  @AfterEach
  void dropTables() {
    prefixes.forEach(p -> PostgresTestDatabase.drop(dataSource, p));
  }
}
