package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a table of {@value #ROWS} tasks (mostly finished, as in production), every hot-path statement
 * of the store is planned with an index, never a sequential scan of the tasks table.
 */
class QueryPlanTest {
  static final int ROWS = 1_000_000;

  /** A realistic mix: 95% terminal, the rest spread over the live statuses. */
  private static final String FILL =
      """
      INSERT INTO ${prefix}tasks (id, name, type, prompt, status, priority, attempt, max_attempts,
          run_at, created_at, updated_at, root_id, owner, labels, version, lease_owner,
          lease_expires_at, idempotency_key)
      SELECT id, 'task ' || i, 'llm', 'prompt number ' || i, status,
             i % 5, 1, 3, now() - (i || ' ms')::interval, now() - (i || ' ms')::interval,
             now() - (i || ' ms')::interval, id, 'owner-' || (i % 100),
             jsonb_build_object('team', 't' || (i % 50)), 1,
             CASE WHEN status = 'RUNNING' THEN 'node' END,
             CASE WHEN status = 'RUNNING' THEN now() + interval '30 s' END,
             CASE WHEN i % 10 = 0 THEN 'key-' || i END
        FROM (SELECT i, gen_random_uuid() AS id,
                     CASE WHEN i % 100 < 95 THEN 'COMPLETED'
                          WHEN i % 100 < 97 THEN 'QUEUED'
                          WHEN i % 100 < 99 THEN 'SCHEDULED'
                          ELSE 'RUNNING' END AS status
                FROM generate_series(1, ${rows}) AS i) AS g""";

  private static HikariDataSource dataSource;
  private static String prefix;
  private static Statements sql;
  private static Jdbc jdbc;

  @BeforeAll
  static void fill() {
    dataSource = PostgresTestDatabase.dataSource(2);
    prefix = PostgresTestDatabase.newPrefix(QueryPlanTest.class);
    new SchemaMigrator(dataSource, prefix).migrate();
    sql = new Statements(prefix);
    jdbc = new Jdbc(dataSource);
    jdbc.update(
        FILL.replace("${rows}", Integer.toString(ROWS))
            .replace(SchemaMigrator.PREFIX_PLACEHOLDER, prefix));
    jdbc.update(
        "INSERT INTO "
            + prefix
            + "edges SELECT id, gen_random_uuid() FROM "
            + prefix
            + "tasks LIMIT 100000");
    jdbc.update("ANALYZE " + prefix + "tasks");
    jdbc.update("ANALYZE " + prefix + "edges");
  }

  @AfterAll
  static void drop() {
    if (dataSource != null) {
      PostgresTestDatabase.drop(dataSource, prefix);
      dataSource.close();
    }
  }

  @Test
  void claimsUseThePartialQueuedIndex() {
    Instant now = Instant.now();
    assertIndexed(sql.claimNext, 10, now, now, "node", now.plusSeconds(30));
    assertIndexed(sql.claimGiven, new UUID[] {UUID.randomUUID()}, now, now, "n", now);
  }

  @Test
  void updatesFindTheirTaskByKey() {
    // the parameters of Statements.update: the SET list (all columns but id and version), the
    // compare-and-set's three, the attempt record's, the event's five
    int cas = TaskRows.TASK_COLUMNS.size() - 2;
    Object[] params = new Object[cas + 3 + TaskRows.ATTEMPT_COLUMNS.size() + 5];
    params[cas] = UUID.randomUUID();
    params[cas + 1] = "RUNNING";
    params[cas + 2] = 1L;
    assertIndexed(sql.update, params);
  }

  @Test
  void schedulerReaperAndReconcilerUseIndexes() {
    Instant now = Instant.now();
    assertIndexed(sql.promoteDue, now.minusSeconds(3600), 100, now);
    assertIndexed(sql.nextRunAt);
    assertIndexed(sql.expiredLeases, now, 100);
    assertIndexed(sql.renewLeases, new UUID[] {UUID.randomUUID()}, "node", now);
    assertIndexed(sql.stale, "QUEUED", now.minusSeconds(3600), 100);
    assertIndexed(sql.purge, now.minusSeconds(3600), 500);
  }

  @Test
  void readsUseIndexes() {
    UUID id = UUID.randomUUID();
    assertIndexed(sql.get, id);
    assertIndexed(sql.getAll, (Object) new UUID[] {id});
    assertIndexed(sql.byIdempotencyKey, new String[] {"owner-1"}, new String[] {"key-10"});
    assertIndexed(sql.pendingChildren, (Object) new UUID[] {id, UUID.randomUUID()});
    assertIndexed(sql.lineage, id);
    assertIndexed(sql.attempts, id);
    assertIndexed(sql.events, id);
  }

  @Test
  void filteredQueriesUseIndexes() {
    String select = "SELECT * FROM " + prefix + "tasks WHERE ";
    String page = " ORDER BY id DESC LIMIT 51";
    assertIndexed(select + "owner = ?" + page, "owner-7");
    assertIndexed(select + "root_id = ?" + page, UUID.randomUUID());
    assertIndexed(select + "labels @> ?::jsonb" + page, "{\"team\":\"t7x\"}");
    assertIndexed(select + "labels ?? ?" + page, "nosuchlabel");
    assertIndexed(select + "(name ILIKE ? OR prompt ILIKE ?)" + page, "%abcdef%", "%abcdef%");
  }

  private static void assertIndexed(String statement, Object... params) {
    String plan =
        String.join("\n", jdbc.query("EXPLAIN " + statement, rs -> rs.getString(1), params));
    assertFalse(
        plan.contains("Seq Scan on " + prefix + "tasks"),
        "sequential scan:\n" + statement + "\n" + plan);
    assertTrue(plan.contains("Index"), "no index used:\n" + statement + "\n" + plan);
  }
}
