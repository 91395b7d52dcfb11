-- Concurrency keys: at most concurrency_limit tasks of a key RUNNING at once, enforced by the claim.
-- Keyed tasks wait in an index of their own, so the claim of unkeyed work reads no keyed row; each
-- keyed candidate is admitted under a transaction-scoped advisory lock on its key, after counting
-- the key's RUNNING tasks through a partial index (a fresh snapshot: the function's statements
-- each take one), and passed over when its key is full or another claim is admitting that key
-- right now (no claim waits for another, so none can deadlock). The columns never change after
-- submit, and rows without a key are in none of the key indexes.
ALTER TABLE ${prefix}tasks ADD COLUMN concurrency_key text, ADD COLUMN concurrency_limit int;

DROP INDEX IF EXISTS ${prefix}tasks_lane_claim_idx;
CREATE INDEX ${prefix}tasks_lane_claim_idx ON ${prefix}tasks (queue, type, priority DESC, run_at, id)
  WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NULL;
CREATE INDEX ${prefix}tasks_keyed_claim_idx
  ON ${prefix}tasks (queue, type, priority DESC, run_at, id)
  WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NOT NULL;
CREATE INDEX ${prefix}tasks_key_running_idx ON ${prefix}tasks (concurrency_key)
  WHERE status = 'RUNNING' AND concurrency_key IS NOT NULL;
CREATE INDEX ${prefix}tasks_key_queued_idx
  ON ${prefix}tasks (concurrency_key, priority DESC, run_at, id)
  WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NOT NULL;

-- Sorting off makes a plan that must sort (merging lanes) look enormously costly, which made
-- PostgreSQL JIT-compile it: 400 ms for a claim of three tasks. The claim functions never JIT.
ALTER FUNCTION ${prefix}due_in_order(timestamptz, int) SET jit = off;

-- Admits a task of a key: true when this transaction holds the key (taken without waiting) and
-- fewer than its limit run, counting those this claim took already (taken: key -> count).
CREATE OR REPLACE FUNCTION ${prefix}key_has_room(k text, lim int, taken jsonb) RETURNS boolean
LANGUAGE plpgsql AS $function$
DECLARE
  running int;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('dev.orchestrator.key/' || k, 0)) THEN
    RETURN false;
  END IF;
  SELECT count(*) INTO running FROM ${prefix}tasks
   WHERE concurrency_key = k AND status = 'RUNNING';
  RETURN running + coalesce((taken ->> k)::int, 0) < lim;
END
$function$;

-- The best QUEUED tasks of the given lanes, as in V8 for tasks without a key, merged with the keyed
-- tasks that have room: those are walked in claim order, each locked only once admitted; a key
-- found full (or being admitted by another claim) is closed for the rest of the walk, which passes
-- over at most n + 1000 keyed tasks.
CREATE OR REPLACE FUNCTION ${prefix}queued_in_claim_order(n int, queues text[], types text[])
RETURNS SETOF uuid
LANGUAGE plpgsql ROWS 10 SET enable_sort = off SET jit = off AS $function$
DECLARE
  open_types text[] := ARRAY(
    SELECT y FROM unnest(types) AS y
     WHERE NOT EXISTS (SELECT 1 FROM ${prefix}paused_types p WHERE p.type = y));
  keyed uuid[] := '{}';
  taken jsonb := '{}';
  closed jsonb := '{}';
  looked int := 0;
  r record;
BEGIN
  IF cardinality(open_types) = 0 THEN
    RETURN;
  END IF;
  IF EXISTS (
      SELECT 1 FROM unnest(queues) AS q(queue) CROSS JOIN unnest(open_types) AS y(type)
       WHERE EXISTS (
         SELECT 1 FROM ${prefix}tasks t
          WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NOT NULL
            AND t.queue = q.queue AND t.type = y.type)) THEN
    FOR r IN
      SELECT h.id, h.concurrency_key, h.concurrency_limit
        FROM unnest(queues) AS q(queue) CROSS JOIN unnest(open_types) AS y(type)
        CROSS JOIN LATERAL (
          SELECT t.id, t.concurrency_key, t.concurrency_limit, t.priority, t.run_at
            FROM ${prefix}tasks t
           WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NOT NULL
             AND t.queue = q.queue AND t.type = y.type
           ORDER BY t.priority DESC, t.run_at, t.id LIMIT n + 1000) h
       ORDER BY h.priority DESC, h.run_at, h.id
    LOOP
      looked := looked + 1;
      EXIT WHEN cardinality(keyed) >= n OR looked > n + 1000;
      CONTINUE WHEN closed ? r.concurrency_key;
      IF NOT ${prefix}key_has_room(r.concurrency_key, r.concurrency_limit, taken) THEN
        closed := closed || jsonb_build_object(r.concurrency_key, true);
        CONTINUE;
      END IF;
      PERFORM 1 FROM ${prefix}tasks
        WHERE id = r.id AND status = 'QUEUED' AND NOT paused FOR UPDATE SKIP LOCKED;
      CONTINUE WHEN NOT FOUND;
      keyed := keyed || r.id;
      taken := jsonb_set(taken, ARRAY[r.concurrency_key],
                         to_jsonb(coalesce((taken ->> r.concurrency_key)::int, 0) + 1));
    END LOOP;
  END IF;
  RETURN QUERY SELECT unnest(keyed);
  IF cardinality(queues) = 1 AND cardinality(open_types) = 1 THEN
    RETURN QUERY
      SELECT id FROM ${prefix}tasks
       WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NULL
         AND queue = queues[1] AND type = open_types[1]
       ORDER BY priority DESC, run_at, id LIMIT n - cardinality(keyed) FOR UPDATE SKIP LOCKED;
  ELSE
    RETURN QUERY
      WITH best AS (
        SELECT h.queue, h.type
          FROM unnest(queues) AS q(queue) CROSS JOIN unnest(open_types) AS y(type)
          CROSS JOIN LATERAL (
            SELECT t.queue, t.type, t.priority, t.run_at, t.id FROM ${prefix}tasks t
             WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NULL
               AND t.queue = q.queue AND t.type = y.type
             ORDER BY t.priority DESC, t.run_at, t.id LIMIT n - cardinality(keyed)) h
         ORDER BY h.priority DESC, h.run_at, h.id LIMIT n - cardinality(keyed)),
      share AS (SELECT queue, type, count(*) AS k FROM best GROUP BY queue, type)
      SELECT l.id FROM share CROSS JOIN LATERAL (
        SELECT t.id FROM ${prefix}tasks t
         WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NULL
           AND t.queue = share.queue AND t.type = share.type
         ORDER BY t.priority DESC, t.run_at, t.id LIMIT share.k FOR UPDATE SKIP LOCKED) l;
  END IF;
END
$function$;

-- The given ids that may be claimed, locked in id order (waiting for a lock, not skipping it: a
-- popped id is its task's only hint, see Statements): QUEUED, not paused, of a type not paused,
-- and for a keyed task, admitted by its key.
CREATE OR REPLACE FUNCTION ${prefix}claimable_given(ids uuid[]) RETURNS SETOF uuid
LANGUAGE plpgsql ROWS 10 AS $function$
DECLARE
  taken jsonb := '{}';
  r record;
BEGIN
  FOR r IN
    SELECT id, concurrency_key, concurrency_limit FROM ${prefix}tasks
     WHERE id = ANY(ids) AND status = 'QUEUED' AND NOT paused
       AND type NOT IN (SELECT type FROM ${prefix}paused_types)
     ORDER BY id FOR NO KEY UPDATE
  LOOP
    IF r.concurrency_key IS NULL THEN
      RETURN NEXT r.id;
    ELSIF ${prefix}key_has_room(r.concurrency_key, r.concurrency_limit, taken) THEN
      taken := jsonb_set(taken, ARRAY[r.concurrency_key],
                         to_jsonb(coalesce((taken ->> r.concurrency_key)::int, 0) + 1));
      RETURN NEXT r.id;
    END IF;
  END LOOP;
END
$function$;
