package dev.orchestrator.jdbc;

import static dev.orchestrator.jdbc.TestTasks.ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.Task;
import dev.orchestrator.TaskQuery;
import dev.orchestrator.TaskStatus;
import dev.orchestrator.spi.Lease;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A database written by the schema before V5 (one row per task) upgrades in place through V5 (the
 * split of the spec off the hot row) and V6 (the type back on it, with the queue, for the lane
 * index): every task keeps every field, and reads, searches, claims and the feed work on the moved
 * rows.
 */
class HotRowMigrationTest {
  private HikariDataSource dataSource;
  private String prefix;
  private Jdbc jdbc;

  @BeforeEach
  void v4Database() {
    dataSource = PostgresTestDatabase.dataSource(4);
    prefix = PostgresTestDatabase.newPrefix(HotRowMigrationTest.class);
    jdbc = new Jdbc(dataSource);
    assertEquals(List.of(1, 2, 3, 4), new SchemaMigrator(dataSource, prefix).migrateTo(4));
  }

  @AfterEach
  void drop() {
    if (dataSource != null) {
      PostgresTestDatabase.drop(dataSource, prefix);
      dataSource.close();
    }
  }

  private void insertV4(UUID id, String status, String output, UUID parent) {
    jdbc.update(
        "INSERT INTO "
            + prefix
            + "tasks (id, name, type, prompt, model, options, status, priority, attempt,"
            + " max_attempts, run_at, timeout_ms, retry_policy, created_at, updated_at, output,"
            + " parent_ids, root_id, idempotency_key, owner, labels, input_tokens, output_tokens,"
            + " cost, version)"
            + " VALUES (?, 'weekly report', 'llm', 'Summarise the week', 'gpt-x',"
            + " '{\"temperature\": 0.5}', ?, 3, ?, 4, '2026-01-01T00:00:00Z', 60000,"
            + " '{\"initialDelay\": \"PT1S\", \"multiplier\": 2.0, \"maxDelay\": \"PT1M\"}',"
            + " '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', ?, ?, ?, ?, 'acme',"
            + " '{\"team\": \"finance\"}', 10, 20, 0.25, 2)",
        id,
        status,
        output == null ? 0 : 1,
        output,
        parent == null ? new UUID[0] : new UUID[] {parent},
        parent == null ? id : parent,
        "key-" + id);
    jdbc.update(
        "INSERT INTO "
            + prefix
            + "events (task_id, from_status, to_status, at, attempt, reason, version)"
            + " VALUES (?, NULL, 'QUEUED', '2026-01-01T00:00:00Z', 0, 'submitted', 0)",
        id);
  }

  @Test
  void tasksWrittenBeforeTheSplitKeepEveryFieldAndStillRun() {
    UUID done = UUID.randomUUID();
    UUID queued = UUID.randomUUID();
    insertV4(done, "COMPLETED", "the summary", null);
    insertV4(queued, "QUEUED", null, done);

    assertEquals(
        PostgresTestDatabase.versions(4), new SchemaMigrator(dataSource, prefix).migrate());
    PostgresTaskStore store =
        PostgresTaskStore.builder().dataSource(dataSource).tablePrefix(prefix).build();

    Task t = store.get(done).orElseThrow();
    assertEquals("weekly report", t.name());
    assertEquals("llm", t.type());
    assertEquals(Task.DEFAULT_QUEUE, t.queue());
    assertEquals("Summarise the week", t.prompt());
    assertEquals("gpt-x", t.model());
    assertEquals(0.5, t.options().temperature());
    assertEquals(TaskStatus.COMPLETED, t.status());
    assertEquals(3, t.priority());
    assertEquals(4, t.maxAttempts());
    assertEquals(60_000, t.timeout().toMillis());
    assertEquals(2.0, t.retryPolicy().multiplier());
    assertEquals(Instant.parse("2026-01-01T00:00:00Z"), t.createdAt());
    assertEquals("the summary", t.output());
    assertEquals("acme", t.owner());
    assertEquals(Map.of("team", "finance"), t.labels());
    assertEquals("key-" + done, t.idempotencyKey());
    assertEquals(20, t.usage().outputTokens());
    assertEquals(2, t.version());
    assertEquals(List.of(done), store.get(queued).orElseThrow().parentIds());

    // the search indexes moved with the columns they index
    assertEquals(2, store.query(TaskQuery.builder().owner("acme").build()).items().size());
    assertEquals(
        2, store.query(TaskQuery.builder().label("team", "finance").build()).items().size());
    assertEquals(2, store.query(TaskQuery.builder().text("the week").build()).items().size());
    assertEquals(2, store.query(TaskQuery.builder().root(done).build()).items().size());

    Instant now = Instant.now();
    List<Task> claimed = store.claimNext(10, new Lease("n", now, now.plusSeconds(30)), ROUTE);
    assertEquals(List.of(queued), claimed.stream().map(Task::id).toList());
    assertEquals("Summarise the week", claimed.get(0).prompt());
    assertTrue(store.events(queued).size() >= 2, "the old events stay with the task");
  }
}
