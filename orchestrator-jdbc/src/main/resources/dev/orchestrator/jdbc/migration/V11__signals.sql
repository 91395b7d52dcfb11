-- Durable waits and signals. A handler that waits for a signal moves its task back to SCHEDULED,
-- due at the wait's deadline, and names the signal in awaiting: a column of the hot row (a status
-- change writes it with the others) in no index, so transitions stay HOT. A signal is a row of its
-- own, one per run (the root task's id) and name: the first of a name wins (the primary key), and
-- the purge deletes a run's signals with the last of its tasks.
ALTER TABLE ${prefix}tasks ADD COLUMN awaiting text;

CREATE TABLE ${prefix}signals (
  run_id  uuid        NOT NULL,
  name    text        NOT NULL,
  payload text        NOT NULL,
  at      timestamptz NOT NULL,
  PRIMARY KEY (run_id, name)
);
