/**
 * PostgreSQL adapters: the task store and the work source, for a cluster of nodes that share one
 * database and need no Redis.
 *
 * <pre>{@code
 * PostgresTaskStore store = PostgresTaskStore.connect(url, user, password); // pool + migration
 * PostgresWorkSource source = PostgresWorkSource.of(store);
 * Orchestrator node = Orchestrator.builder().store(store).queue(source).llm(llm).build().start();
 * ...
 * node.close(); source.close(); store.close();
 * }</pre>
 *
 * <ul>
 *   <li>{@link dev.orchestrator.jdbc.PostgresTaskStore}: tasks, attempt records, events and parent
 *       edges in four tables; every status change is one compare-and-set statement that also writes
 *       the event and the attempt record; {@code updateAll} (the group commit of attempt endings)
 *       sends those statements as one pipelined batch in one transaction, taking rows in id order
 *       so racing writers cannot deadlock; claiming the best tasks and promoting due ones skip
 *       locked rows ({@code SKIP LOCKED}), while claiming the ids a queue handed out waits for
 *       their locks, in id order too, so no hint is dropped; lineage is a recursive CTE; {@code
 *       purgeTerminal} keeps the tables small.
 *   <li>{@link dev.orchestrator.jdbc.PostgresWorkSource}: workers claim straight from the table,
 *       woken by LISTEN/NOTIFY (the store notifies in the statement that queues a task), polling
 *       only while the listener's connection is lost.
 *   <li>{@link dev.orchestrator.jdbc.SchemaMigrator}: the versioned scripts under {@code
 *       dev/orchestrator/jdbc/migration/}, applied once under an advisory lock; skip it with {@code
 *       migrate(false)} when Flyway or Liquibase owns the schema. The text search over name and
 *       prompt is indexed with pg_trgm when the extension exists or can be created; otherwise the
 *       migration succeeds without those two indexes and text queries scan.
 * </ul>
 */
package dev.orchestrator.jdbc;
