-- Fair turns: at equal priority the claim takes tasks in the order of their turn, not of their
-- runAt. A task's turn is its runAt, except for a task submitted QUEUED while its owner's tasks
-- wait in its lane at its priority: then it is one spacing after the latest of theirs, or, when
-- none wait, no later than the lane's first waiting task there (TaskStore#insert). The owner is
-- copied onto the hot row as fair_key (it never changes) for an index of each owner's waiting
-- tasks, which the insert reads for the latest turn; the lane indexes order by turn.
ALTER TABLE ${prefix}tasks ADD COLUMN turn_at timestamptz, ADD COLUMN fair_key text;
UPDATE ${prefix}tasks t SET turn_at = t.run_at, fair_key = s.owner
  FROM ${prefix}task_specs s WHERE s.id = t.id;
ALTER TABLE ${prefix}tasks ALTER COLUMN fair_key SET NOT NULL;

DROP INDEX IF EXISTS ${prefix}tasks_lane_claim_idx;
DROP INDEX IF EXISTS ${prefix}tasks_keyed_claim_idx;
DROP INDEX IF EXISTS ${prefix}tasks_key_queued_idx;
CREATE INDEX ${prefix}tasks_lane_claim_idx ON ${prefix}tasks (queue, type, priority DESC, turn_at, id)
  WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NULL;
CREATE INDEX ${prefix}tasks_keyed_claim_idx
  ON ${prefix}tasks (queue, type, priority DESC, turn_at, id)
  WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NOT NULL;
CREATE INDEX ${prefix}tasks_key_queued_idx
  ON ${prefix}tasks (concurrency_key, priority DESC, turn_at, id)
  WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NOT NULL;
CREATE INDEX ${prefix}tasks_fair_idx ON ${prefix}tasks (fair_key, queue, type, priority, turn_at)
  WHERE status = 'QUEUED' AND NOT paused;

-- The best n QUEUED tasks without a key of the given lanes (whose types are open), locked, as in V8.
CREATE OR REPLACE FUNCTION ${prefix}unkeyed_in_claim_order(n int, queues text[], types text[])
RETURNS uuid[]
LANGUAGE plpgsql SET enable_sort = off SET jit = off AS $function$
BEGIN
  IF cardinality(queues) = 1 AND cardinality(types) = 1 THEN
    RETURN ARRAY(
      SELECT id FROM ${prefix}tasks
       WHERE status = 'QUEUED' AND NOT paused AND concurrency_key IS NULL
         AND queue = queues[1] AND type = types[1]
       ORDER BY priority DESC, turn_at, id LIMIT n FOR UPDATE SKIP LOCKED);
  END IF;
  RETURN ARRAY(
    WITH best AS (
      SELECT h.queue, h.type
        FROM unnest(queues) AS q(queue) CROSS JOIN unnest(types) AS y(type)
        CROSS JOIN LATERAL (
          SELECT t.queue, t.type, t.priority, t.turn_at, t.id FROM ${prefix}tasks t
           WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NULL
             AND t.queue = q.queue AND t.type = y.type
           ORDER BY t.priority DESC, t.turn_at, t.id LIMIT n) h
       ORDER BY h.priority DESC, h.turn_at, h.id LIMIT n),
    share AS (SELECT queue, type, count(*) AS k FROM best GROUP BY queue, type)
    SELECT l.id FROM share CROSS JOIN LATERAL (
      SELECT t.id FROM ${prefix}tasks t
       WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NULL
         AND t.queue = share.queue AND t.type = share.type
       ORDER BY t.priority DESC, t.turn_at, t.id LIMIT share.k FOR UPDATE SKIP LOCKED) l);
END
$function$;

-- As in V9, in turn order, with the keyed tasks it admits merged with the unkeyed ones in claim
-- order (V9 put every admitted keyed task first).
CREATE OR REPLACE FUNCTION ${prefix}queued_in_claim_order(n int, queues text[], types text[])
RETURNS SETOF uuid
LANGUAGE plpgsql ROWS 10 SET enable_sort = off SET jit = off AS $function$
DECLARE
  open_types text[] := ARRAY(
    SELECT y FROM unnest(types) AS y
     WHERE NOT EXISTS (SELECT 1 FROM ${prefix}paused_types p WHERE p.type = y));
  keyed uuid[] := '{}';
  unkeyed uuid[];
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
          SELECT t.id, t.concurrency_key, t.concurrency_limit, t.priority, t.turn_at
            FROM ${prefix}tasks t
           WHERE t.status = 'QUEUED' AND NOT t.paused AND t.concurrency_key IS NOT NULL
             AND t.queue = q.queue AND t.type = y.type
           ORDER BY t.priority DESC, t.turn_at, t.id LIMIT n + 1000) h
       ORDER BY h.priority DESC, h.turn_at, h.id
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
  unkeyed := ${prefix}unkeyed_in_claim_order(n, queues, open_types);
  IF cardinality(keyed) = 0 THEN
    RETURN QUERY SELECT unnest(unkeyed);
  ELSE
    -- the admitted keyed tasks and the best unkeyed ones, merged in claim order: a keyed task is
    -- never preferred to an unkeyed one with an earlier turn (those left out stay QUEUED)
    RETURN QUERY
      SELECT t.id FROM ${prefix}tasks t
       WHERE t.id = ANY(keyed || unkeyed)
       ORDER BY t.priority DESC, t.turn_at, t.id LIMIT n;
  END IF;
END
$function$;
