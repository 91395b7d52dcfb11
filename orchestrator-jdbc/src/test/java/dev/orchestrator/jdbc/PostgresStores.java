package dev.orchestrator.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's PostgreSQL: one pool for the class, fresh stores (each on tables of its own
 * prefix) for each test, dropped after it.
 *
 * <pre>{@code @RegisterExtension static final PostgresStores stores = new PostgresStores(8);}</pre>
 */
public final class PostgresStores
    implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private final int poolSize;
  private final List<String> prefixes = new ArrayList<>();
  private HikariDataSource dataSource;
  private Class<?> testClass;

  public PostgresStores(int poolSize) {
    this.poolSize = poolSize;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    testClass = context.getRequiredTestClass();
    dataSource = PostgresTestDatabase.dataSource(poolSize);
  }

  /** The class's pool. */
  public HikariDataSource dataSource() {
    return dataSource;
  }

  /** A new, empty, migrated store on the class's pool, dropped after the test. */
  public synchronized PostgresTaskStore newStore() {
    PostgresTaskStore store = PostgresTestDatabase.newStore(dataSource, testClass);
    prefixes.add(store.tablePrefix());
    return store;
  }

  @Override
  public synchronized void afterEach(ExtensionContext context) {
    prefixes.forEach(p -> PostgresTestDatabase.drop(dataSource, p));
    prefixes.clear();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (dataSource != null) {
      dataSource.close();
    }
  }
}
