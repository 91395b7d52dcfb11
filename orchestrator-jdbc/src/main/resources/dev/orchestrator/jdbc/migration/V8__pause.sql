-- Pause: a paused task keeps its status and is never claimed until resumed (a flag on the hot row,
-- changed only by a pause or a resume, so a transition still leaves it alone); a paused type is a
-- gate on its lanes, held in a table of its own, so pausing a type with a million queued tasks is
-- one row. The lane index leaves paused tasks out, so the claim never reads them.
ALTER TABLE ${prefix}tasks ADD COLUMN paused boolean NOT NULL DEFAULT false;

DROP INDEX IF EXISTS ${prefix}tasks_lane_claim_idx;
CREATE INDEX ${prefix}tasks_lane_claim_idx ON ${prefix}tasks (queue, type, priority DESC, run_at, id)
  WHERE status = 'QUEUED' AND NOT paused;

CREATE TABLE ${prefix}paused_types (
  type      text        PRIMARY KEY,
  paused_at timestamptz NOT NULL DEFAULT now()
);

-- As in V6, over the lanes whose type is not paused, and the tasks that are not.
CREATE OR REPLACE FUNCTION ${prefix}queued_in_claim_order(n int, queues text[], types text[])
RETURNS SETOF uuid
LANGUAGE plpgsql ROWS 10 SET enable_sort = off AS $function$
DECLARE
  open_types text[] := ARRAY(
    SELECT y FROM unnest(types) AS y
     WHERE NOT EXISTS (SELECT 1 FROM ${prefix}paused_types p WHERE p.type = y));
BEGIN
  IF cardinality(open_types) = 0 THEN
    RETURN;
  ELSIF cardinality(queues) = 1 AND cardinality(open_types) = 1 THEN
    RETURN QUERY
      SELECT id FROM ${prefix}tasks
       WHERE status = 'QUEUED' AND NOT paused AND queue = queues[1] AND type = open_types[1]
       ORDER BY priority DESC, run_at, id LIMIT n FOR UPDATE SKIP LOCKED;
  ELSE
    RETURN QUERY
      WITH best AS (
        SELECT h.queue, h.type
          FROM unnest(queues) AS q(queue) CROSS JOIN unnest(open_types) AS y(type)
          CROSS JOIN LATERAL (
            SELECT t.queue, t.type, t.priority, t.run_at, t.id FROM ${prefix}tasks t
             WHERE t.status = 'QUEUED' AND NOT t.paused AND t.queue = q.queue AND t.type = y.type
             ORDER BY t.priority DESC, t.run_at, t.id LIMIT n) h
         ORDER BY h.priority DESC, h.run_at, h.id LIMIT n),
      share AS (SELECT queue, type, count(*) AS k FROM best GROUP BY queue, type)
      SELECT l.id FROM share CROSS JOIN LATERAL (
        SELECT t.id FROM ${prefix}tasks t
         WHERE t.status = 'QUEUED' AND NOT t.paused AND t.queue = share.queue
           AND t.type = share.type
         ORDER BY t.priority DESC, t.run_at, t.id LIMIT share.k FOR UPDATE SKIP LOCKED) l;
  END IF;
END
$function$;
