-- Routing: a node claims only the tasks of its lanes, a lane being a named queue and a task type
-- (a node serves the queues it is told to and the types it has handlers for). The claim walks one
-- index range per lane, so the tasks of lanes nobody here serves are never read, however many
-- wait. The type therefore joins the hot row (it never changes, so it costs no index entry on a
-- transition), beside the new queue column.
ALTER TABLE ${prefix}tasks ADD COLUMN type text, ADD COLUMN queue text NOT NULL DEFAULT 'default';
UPDATE ${prefix}tasks t SET type = s.type FROM ${prefix}task_specs s WHERE s.id = t.id;
ALTER TABLE ${prefix}tasks ALTER COLUMN type SET NOT NULL, ALTER COLUMN queue DROP DEFAULT;
ALTER TABLE ${prefix}task_specs DROP COLUMN type;

DROP INDEX IF EXISTS ${prefix}tasks_claim_idx;
CREATE INDEX ${prefix}tasks_lane_claim_idx ON ${prefix}tasks (queue, type, priority DESC, run_at, id)
  WHERE status = 'QUEUED';

-- The best QUEUED tasks of the given lanes (every queue with every type), locked, through the
-- lane index whatever the statistics (see V5). With one lane it takes the first n rows of its
-- range; with several it first reads the first n of each range unlocked to learn how many of the
-- best n each lane holds, then locks that many in each, skipping rows another claim holds: so it
-- locks about n rows, not n per lane.
DROP FUNCTION IF EXISTS ${prefix}queued_in_claim_order(int);
CREATE OR REPLACE FUNCTION ${prefix}queued_in_claim_order(n int, queues text[], types text[])
RETURNS SETOF uuid
LANGUAGE plpgsql ROWS 10 SET enable_sort = off AS $function$
BEGIN
  IF cardinality(queues) = 1 AND cardinality(types) = 1 THEN
    RETURN QUERY
      SELECT id FROM ${prefix}tasks
       WHERE status = 'QUEUED' AND queue = queues[1] AND type = types[1]
       ORDER BY priority DESC, run_at, id LIMIT n FOR UPDATE SKIP LOCKED;
  ELSE
    RETURN QUERY
      WITH best AS (
        SELECT h.queue, h.type
          FROM unnest(queues) AS q(queue) CROSS JOIN unnest(types) AS y(type)
          CROSS JOIN LATERAL (
            SELECT t.queue, t.type, t.priority, t.run_at, t.id FROM ${prefix}tasks t
             WHERE t.status = 'QUEUED' AND t.queue = q.queue AND t.type = y.type
             ORDER BY t.priority DESC, t.run_at, t.id LIMIT n) h
         ORDER BY h.priority DESC, h.run_at, h.id LIMIT n),
      share AS (SELECT queue, type, count(*) AS k FROM best GROUP BY queue, type)
      SELECT l.id FROM share CROSS JOIN LATERAL (
        SELECT t.id FROM ${prefix}tasks t
         WHERE t.status = 'QUEUED' AND t.queue = share.queue AND t.type = share.type
         ORDER BY t.priority DESC, t.run_at, t.id LIMIT share.k FOR UPDATE SKIP LOCKED) l;
  END IF;
END
$function$;
