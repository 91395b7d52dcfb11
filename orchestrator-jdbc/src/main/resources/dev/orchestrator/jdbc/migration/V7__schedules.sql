-- Recurring schedules: one row per name. Every node's schedule loop reads the due ones
-- (next_fire <= now, earliest first) and advances a row by compare-and-set on its version after
-- submitting the fire's task, whose idempotency key (schedule:<name>:<fire time>) is what makes it
-- one task per fire time cluster-wide. The recurrence is its kind with a cron expression and zone,
-- or an interval (ISO-8601 duration) and anchor; the task spec is JSON.
CREATE TABLE ${prefix}schedules (
  name       text        PRIMARY KEY,
  kind       text        NOT NULL CHECK (kind IN ('cron', 'interval')),
  cron       text,
  zone       text,
  every      text,
  anchor     timestamptz,
  misfire    text        NOT NULL CHECK (misfire IN ('RUN_ONCE', 'SKIP')),
  spec       jsonb       NOT NULL,
  created_at timestamptz NOT NULL,
  since      timestamptz NOT NULL,
  next_fire  timestamptz NOT NULL,
  version    bigint      NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK (kind <> 'cron' OR (cron IS NOT NULL AND zone IS NOT NULL)),
  CHECK (kind <> 'interval' OR (every IS NOT NULL AND anchor IS NOT NULL))
);

-- dueSchedules: the earliest next fire times
CREATE INDEX ${prefix}schedules_due_idx ON ${prefix}schedules (next_fire, name);
