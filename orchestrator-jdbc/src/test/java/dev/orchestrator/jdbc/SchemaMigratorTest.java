package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.TaskQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The schema is created once however many nodes start together, and only under a safe prefix. */
class SchemaMigratorTest {
  private static HikariDataSource dataSource;

  @BeforeAll
  static void connect() {
    dataSource = PostgresTestDatabase.dataSource(10);
  }

  @AfterAll
  static void disconnect() {
    if (dataSource != null) {
      dataSource.close();
    }
  }

  @Test
  void nodesStartingTogetherMigrateOnce() throws Exception {
    String prefix = PostgresTestDatabase.newPrefix(getClass());
    int nodes = 8;
    ExecutorService pool = Executors.newFixedThreadPool(nodes);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<List<Integer>>> results = new ArrayList<>();
    try {
      for (int i = 0; i < nodes; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return new SchemaMigrator(dataSource, prefix).migrate();
                }));
      }
      go.countDown();
      List<List<Integer>> applied = new ArrayList<>();
      for (Future<List<Integer>> f : results) {
        applied.add(f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(1, applied.stream().filter(a -> !a.isEmpty()).count(), "migrated " + applied);
      List<Integer> all = PostgresTestDatabase.versions(0);
      assertTrue(applied.contains(all), "migrated " + applied);
      assertEquals(List.of(), new SchemaMigrator(dataSource, prefix).migrate());
      assertEquals(all.size(), count("SELECT count(*) FROM " + prefix + "schema_version"));
      assertEquals(
          2,
          count(
              "SELECT count(*) FROM pg_indexes WHERE indexname IN ('"
                  + prefix
                  + "task_specs_name_trgm_idx', '"
                  + prefix
                  + "task_specs_prompt_trgm_idx')"),
          "pg_trgm is available on the test server, so the text search is indexed");
    } finally {
      pool.shutdownNow();
      PostgresTestDatabase.drop(dataSource, prefix);
    }
  }

  @Test
  void aStoreThatSkipsMigrationUsesTheTablesSomeoneElseCreated() {
    String prefix = PostgresTestDatabase.newPrefix(getClass());
    try {
      PostgresTaskStore unmigrated =
          PostgresTaskStore.builder()
              .dataSource(dataSource)
              .tablePrefix(prefix)
              .migrate(false)
              .build();
      StoreException missing =
          assertThrows(StoreException.class, () -> unmigrated.query(TaskQuery.all()));
      assertEquals("42P01", missing.sqlState(), "undefined table");
      new SchemaMigrator(dataSource, prefix).migrate(); // as Flyway would
      assertEquals(0, unmigrated.query(TaskQuery.all()).items().size());
    } finally {
      PostgresTestDatabase.drop(dataSource, prefix);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Orch_",
        "1orch",
        "orch-",
        "orch_; DROP TABLE x; --",
        "\"orch\"",
        "a_prefix_that_is_far_too_long_for_identifiers_"
      })
  void unsafePrefixesAreRefused(String prefix) {
    assertThrows(IllegalArgumentException.class, () -> SchemaMigrator.validatePrefix(prefix));
    assertThrows(
        IllegalArgumentException.class, () -> PostgresTaskStore.builder().tablePrefix(prefix));
  }

  @Test
  void scriptsShipWithThePlaceholder() {
    for (String script : SchemaMigrator.SCRIPTS) {
      assertTrue(SchemaMigrator.load(script).contains(SchemaMigrator.PREFIX_PLACEHOLDER), script);
    }
  }

  private static long count(String sql) {
    return new Jdbc(dataSource).query(sql, rs -> rs.getLong(1)).get(0);
  }
}
