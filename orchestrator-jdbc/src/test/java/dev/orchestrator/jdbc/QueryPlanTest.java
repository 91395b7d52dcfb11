package dev.orchestrator.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Task;
import dev.orchestrator.TaskStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLWarning;
import java.time.Instant;
import java.util.List;
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
      WITH g AS (
        SELECT i, gen_random_uuid() AS id, now() - (i || ' ms')::interval AS at,
               CASE WHEN i % 100 < 95 THEN 'COMPLETED'
                    WHEN i % 100 < 97 THEN 'QUEUED'
                    WHEN i % 100 < 99 THEN 'SCHEDULED'
                    ELSE 'RUNNING' END AS status
          FROM generate_series(1, ${rows}) AS i),
      specs AS (
        INSERT INTO ${prefix}task_specs (id, name, prompt, created_at, root_id, owner, labels,
                                         idempotency_key)
        SELECT id, 'task ' || i, 'prompt number ' || i, at, id, 'owner-' || (i % 100),
               jsonb_build_object('team', 't' || (i % 50)),
               CASE WHEN i % 10 = 0 THEN 'key-' || i END
          FROM g)
      INSERT INTO ${prefix}tasks (id, type, queue, concurrency_key, concurrency_limit, fair_key,
                                  status, priority, attempt, max_attempts, run_at, turn_at,
                                  updated_at, version, lease_owner, lease_expires_at)
      SELECT id, CASE WHEN i % 7 = 0 THEN 'verify' ELSE 'llm' END,
             CASE WHEN i % 11 = 0 THEN 'gpu' ELSE 'default' END,
             CASE WHEN i % 100 IN (96, 99) THEN 'key-' || (i % 10) END,
             CASE WHEN i % 100 IN (96, 99) THEN 2 END,
             'owner-' || (i % 100), status, i % 5, 1, 3, at, at, at, 1,
             CASE WHEN status = 'RUNNING' THEN 'node' END,
             CASE WHEN status = 'RUNNING' THEN now() + interval '30 s' END
        FROM g""";

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
    jdbc.update("ANALYZE " + prefix + "task_specs");
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
    String[] queues = {"default"};
    String[] types = {"llm"};
    assertIndexed(sql.claimNext, 10, queues, types, now, now, "node", now.plusSeconds(30));
    assertIndexed(sql.claimGiven, new UUID[] {UUID.randomUUID()}, now, now, "n", now);
    assertIndexed(sql.queuedOfKey, "key-3", 10);
  }

  /**
   * The claim function's own statements (which EXPLAIN of the claim cannot show), as the server ran
   * them, for one lane and for several, with keyed tasks queued whose keys are all full (so the
   * claim passes over a thousand of them): each walks an index, none scans the table.
   */
  @Test
  void theClaimFunctionWalksTheLaneAndKeyIndexesForOneLaneAndForSeveral() throws Exception {
    for (String plans :
        List.of(
            functionPlans(100, new String[] {"default"}, new String[] {"llm"}),
            functionPlans(100, new String[] {"default", "gpu"}, new String[] {"llm", "verify"}))) {
      assertTrue(plans.contains(prefix + "tasks_lane_claim_idx"), plans);
      assertTrue(plans.contains(prefix + "tasks_keyed_claim_idx"), plans);
      assertTrue(plans.contains(prefix + "tasks_key_running_idx"), plans);
      assertFalse(plans.contains("Seq Scan"), plans);
    }
  }

  /**
   * The plans auto_explain logged for the statements inside {@code queued_in_claim_order}, sent to
   * this session as notices; the claim's locks are rolled back.
   */
  private static String functionPlans(int n, String[] queues, String[] types) throws Exception {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (java.sql.Statement s = c.createStatement()) {
        s.execute("LOAD 'auto_explain'");
        s.execute("SET LOCAL auto_explain.log_min_duration = 0");
        s.execute("SET LOCAL auto_explain.log_nested_statements = on");
        s.execute("SET LOCAL client_min_messages = log");
        s.clearWarnings();
      }
      try (PreparedStatement ps =
          c.prepareStatement("SELECT count(*) FROM " + prefix + "queued_in_claim_order(?, ?, ?)")) {
        ps.setInt(1, n);
        ps.setArray(2, c.createArrayOf("text", queues));
        ps.setArray(3, c.createArrayOf("text", types));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertEquals(n, rs.getInt(1), "the function claimed its n candidates");
        }
        StringBuilder plans = new StringBuilder();
        for (SQLWarning w = ps.getWarnings(); w != null; w = w.getNextWarning()) {
          plans.append(w.getMessage()).append('\n');
        }
        assertTrue(plans.indexOf("Query Text") >= 0, "auto_explain reported:\n" + plans);
        return plans.toString();
      } finally {
        c.rollback();
      }
    }
  }

  /**
   * A fresh table (never analyzed) of 20,000 QUEUED tasks: the claim functions plan their query
   * with sorting off, which walks the index whatever the statistics (before the lane index, the
   * planner's own choice here was to sort every queued row).
   */
  @Test
  void claimsWalkTheIndexOnATableThatWasNeverAnalyzed() {
    String fresh = PostgresTestDatabase.newPrefix(QueryPlanTest.class);
    SchemaMigrator migrator = new SchemaMigrator(dataSource, fresh);
    migrator.migrate();
    try {
      jdbc.update("ALTER TABLE " + fresh + "tasks SET (autovacuum_enabled = false)");
      jdbc.update(
          "INSERT INTO "
              + fresh
              + "tasks (id, type, queue, fair_key, status, priority, attempt, max_attempts,"
              + " run_at, turn_at, updated_at, version) SELECT gen_random_uuid(), 'llm',"
              + " 'default', 'o', 'QUEUED', 0, 0, 3, now() + (i || ' us')::interval,"
              + " now() + (i || ' us')::interval, now(), 0 FROM generate_series(1, 20000) AS i");
      String candidates =
          "EXPLAIN SELECT id FROM "
              + fresh
              + "tasks WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NULL"
              + " AND queue = 'default' AND type = 'llm'"
              + " ORDER BY priority DESC, turn_at, id LIMIT 100 FOR UPDATE SKIP LOCKED";
      String sortingOff =
          jdbc.inTransaction(
              c -> {
                Jdbc.update(c, "SET LOCAL enable_sort = off");
                return String.join("\n", Jdbc.query(c, candidates, rs -> rs.getString(1)));
              });
      assertTrue(
          sortingOff.contains("Index Scan using " + fresh + "tasks_lane_claim_idx"),
          "with sorting off:\n" + sortingOff);
      for (String function : List.of("queued_in_claim_order", "due_in_order")) {
        // and without JIT: sorting off makes a plan that must sort look costly enough to compile
        // (400 ms for a claim of three tasks, measured)
        assertEquals(
            List.of("{enable_sort=off,jit=off}"),
            jdbc.query(
                "SELECT proconfig::text FROM pg_proc WHERE proname = ?",
                rs -> rs.getString(1),
                fresh + function),
            function + " plans with sorting off and never compiles");
      }
    } finally {
      migrator.drop();
    }
  }

  /**
   * A submit reads its owner's latest turn and its lane's first through the turn and lane indexes
   * (for an owner with queued tasks, in a lane with keyed ones), never scanning the table.
   */
  @Test
  void insertsFindTheirTurnsThroughIndexes() {
    Task t =
        new Task.Builder()
            .id(UUID.randomUUID())
            .type("llm")
            .owner("owner-96")
            .status(TaskStatus.QUEUED)
            .runAt(Instant.now())
            .createdAt(Instant.now())
            .updatedAt(Instant.now())
            .maxAttempts(3)
            .build();
    String[] values = TaskRows.values(t);
    Object[] params = new Object[values.length];
    for (int i = 0; i < values.length; i++) {
      params[i] = new String[] {values[i]};
    }
    String plan = assertIndexed(sql.insertTasks, params);
    assertTrue(plan.contains(prefix + "tasks_fair_idx"), plan);
    assertTrue(plan.contains(prefix + "tasks_lane_claim_idx"), plan);
    assertTrue(plan.contains(prefix + "tasks_keyed_claim_idx"), plan);
  }

  @Test
  void updatesFindTheirTaskByKey() {
    // the parameters of Statements.update: one array per column of the input (the compare-and-set's
    // three, the reason, the changing columns), then one per column of the attempt records
    int input = 4 + TaskRows.CHANGING_COLUMNS.size();
    Object[] params = new Object[input + TaskRows.ATTEMPT_COLUMNS.size()];
    for (int i = 0; i < params.length; i++) {
      params[i] = new String[i < input ? 1 : 0];
    }
    params[0] = new String[] {UUID.randomUUID().toString()};
    params[1] = new String[] {"RUNNING"};
    params[2] = new String[] {"1"};
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
    String select = "SELECT * FROM " + sql.taskRows + " WHERE ";
    String page = " ORDER BY id DESC LIMIT 51";
    assertIndexed(select + "owner = ?" + page, "owner-7");
    assertIndexed(select + "root_id = ?" + page, UUID.randomUUID());
    assertIndexed(select + "labels @> ?::jsonb" + page, "{\"team\":\"t7x\"}");
    assertIndexed(select + "labels ?? ?" + page, "nosuchlabel");
    assertIndexed(select + "(name ILIKE ? OR prompt ILIKE ?)" + page, "%abcdef%", "%abcdef%");
  }

  private static String assertIndexed(String statement, Object... params) {
    String plan =
        String.join("\n", jdbc.query("EXPLAIN " + statement, rs -> rs.getString(1), params));
    for (String table : new String[] {"tasks", "task_specs"}) {
      assertFalse(
          plan.contains("Seq Scan on " + prefix + table + " "),
          "sequential scan:\n" + statement + "\n" + plan);
    }
    assertTrue(plan.contains("Index"), "no index used:\n" + statement + "\n" + plan);
    return plan;
  }
}
