-- Each event carries the task's version once it happened (0 for the creation, one more for each
-- status change; a note the version of the status it was made in), so that a listener can put a
-- task's events in order and fill a gap from the store.
ALTER TABLE ${prefix}events ADD COLUMN version bigint NOT NULL DEFAULT 0;
