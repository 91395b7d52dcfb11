-- Each event carries the task's version once it happened (0 for the creation, one more for each
-- status change; a note the version of the status it was made in), so that a listener can put a
-- task's events in order and fill a gap from the store.
ALTER TABLE ${prefix}events ADD COLUMN version bigint NOT NULL DEFAULT 0;

-- The feed (every task's events in the order they became visible) reads events by the transaction
-- that wrote them: seq alone is handed out before commit, so a reader could pass a lower seq whose
-- transaction commits later. Events of transactions older than every running one are final; read
-- in (tx, seq) order, a reader that resumes after its last (tx, seq) misses none.
ALTER TABLE ${prefix}events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX ${prefix}events_feed_idx ON ${prefix}events (tx, seq);
