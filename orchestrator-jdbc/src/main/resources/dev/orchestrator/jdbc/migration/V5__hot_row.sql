-- The hot path: every transition rewrites a task's row, and PostgreSQL writes a new version of a
-- row with an entry in every index of its table (an update that changes an indexed column, as a
-- status change always does, cannot be HOT). So what never changes after submit (the spec: name,
-- type, prompt, model, options, parents, root, owner, labels, idempotency key) moves to a table of
-- its own with the indexes that serve searches, and the tasks table keeps the lifecycle state with
-- only the indexes the lifecycle needs: its key, the queue (claim), the schedule (due), the leases
-- and the status index (stale, counts, purge).
CREATE TABLE ${prefix}task_specs (
  id              uuid        PRIMARY KEY,
  name            text,
  type            text        NOT NULL,
  prompt          text,
  model           text,
  options         jsonb       NOT NULL DEFAULT '{}',
  timeout_ms      bigint,
  retry_policy    jsonb,
  created_at      timestamptz,
  parent_ids      uuid[]      NOT NULL DEFAULT '{}',
  root_id         uuid        NOT NULL,
  idempotency_key text,
  owner           text        NOT NULL,
  labels          jsonb       NOT NULL DEFAULT '{}'
);

INSERT INTO ${prefix}task_specs (id, name, type, prompt, model, options, timeout_ms, retry_policy,
                                 created_at, parent_ids, root_id, idempotency_key, owner, labels)
SELECT id, name, type, prompt, model, options, timeout_ms, retry_policy, created_at, parent_ids,
       root_id, idempotency_key, owner, labels
  FROM ${prefix}tasks;

DROP INDEX IF EXISTS ${prefix}tasks_idempotency_idx;
DROP INDEX IF EXISTS ${prefix}tasks_owner_idx;
DROP INDEX IF EXISTS ${prefix}tasks_root_idx;
DROP INDEX IF EXISTS ${prefix}tasks_labels_idx;
DROP INDEX IF EXISTS ${prefix}tasks_name_trgm_idx;
DROP INDEX IF EXISTS ${prefix}tasks_prompt_trgm_idx;

ALTER TABLE ${prefix}tasks
  DROP COLUMN name, DROP COLUMN type, DROP COLUMN prompt, DROP COLUMN model,
  DROP COLUMN options, DROP COLUMN timeout_ms, DROP COLUMN retry_policy, DROP COLUMN created_at,
  DROP COLUMN parent_ids, DROP COLUMN root_id, DROP COLUMN idempotency_key, DROP COLUMN owner,
  DROP COLUMN labels;

-- one task per (owner, idempotency key); the key is hashed so a key of any length fits the btree
CREATE UNIQUE INDEX ${prefix}task_specs_idempotency_idx
  ON ${prefix}task_specs (owner, md5(idempotency_key)) WHERE idempotency_key IS NOT NULL;
-- query by owner, by chain, by label (newest first by id)
CREATE INDEX ${prefix}task_specs_owner_idx ON ${prefix}task_specs (owner, id);
CREATE INDEX ${prefix}task_specs_root_idx ON ${prefix}task_specs (root_id, id);
CREATE INDEX ${prefix}task_specs_labels_idx ON ${prefix}task_specs USING gin (labels);

-- TaskQuery.text (ILIKE over name and prompt), where pg_trgm is available (see V2)
DO $migration$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    BEGIN
      CREATE INDEX IF NOT EXISTS ${prefix}task_specs_name_trgm_idx ON ${prefix}task_specs
        USING gin (name gin_trgm_ops);
      CREATE INDEX IF NOT EXISTS ${prefix}task_specs_prompt_trgm_idx ON ${prefix}task_specs
        USING gin (prompt gin_trgm_ops);
    EXCEPTION WHEN undefined_object THEN
      RAISE NOTICE 'gin_trgm_ops is not on the search path: text search will not use an index';
    END;
  END IF;
END
$migration$;

-- Events are read by task (events_task_idx) and by the feed (events_feed_idx), never by seq
-- alone: the primary key's index was one more insertion per event for no reader.
ALTER TABLE ${prefix}events DROP CONSTRAINT ${prefix}events_pkey;

-- The claim and the promotion take the first rows of a partial index in its order. On a table
-- whose statistics are missing or stale (a fresh deployment, autovacuum off or behind), the planner
-- may instead fetch every QUEUED row and sort them: 20 ms instead of 0.1 ms for 20,000 rows. These
-- functions plan their query with sorting disabled, so it walks the index whatever the statistics
-- say (plpgsql keeps the plan, planned under the function's settings). They claim to return few
-- rows (ROWS 10; a set-returning function is otherwise taken for 1,000), so the statement that
-- joins their ids to the tasks does so by key rather than by scanning the table.
CREATE OR REPLACE FUNCTION ${prefix}queued_in_claim_order(n int) RETURNS SETOF uuid
LANGUAGE plpgsql ROWS 10 SET enable_sort = off AS $function$
BEGIN
  RETURN QUERY
    SELECT id FROM ${prefix}tasks WHERE status = 'QUEUED'
     ORDER BY priority DESC, run_at, id LIMIT n FOR UPDATE SKIP LOCKED;
END
$function$;

CREATE OR REPLACE FUNCTION ${prefix}due_in_order(due timestamptz, n int) RETURNS SETOF uuid
LANGUAGE plpgsql ROWS 10 SET enable_sort = off AS $function$
BEGIN
  RETURN QUERY
    SELECT id FROM ${prefix}tasks WHERE status = 'SCHEDULED' AND run_at <= due
     ORDER BY run_at, id LIMIT n FOR UPDATE SKIP LOCKED;
END
$function$;
