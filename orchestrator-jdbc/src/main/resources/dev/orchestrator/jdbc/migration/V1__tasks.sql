-- Tasks, the record of every attempt, the audit trail of events and the parent-to-child edges.
-- ${prefix} is the store's table prefix (a validated lower-case identifier). The store writes a
-- task's rows together in one transaction and deletes them together (purge), so the child tables
-- carry no foreign keys: an edge may name a parent that was purged, or never existed.

CREATE TABLE ${prefix}tasks (
  id               uuid        PRIMARY KEY,
  name             text,
  type             text        NOT NULL,
  prompt           text,
  model            text,
  options          jsonb       NOT NULL DEFAULT '{}',
  status           text        NOT NULL CHECK (status IN ('PENDING', 'SCHEDULED', 'QUEUED',
                                 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
  priority         int         NOT NULL,
  attempt          int         NOT NULL,
  max_attempts     int         NOT NULL,
  run_at           timestamptz,
  timeout_ms       bigint,
  retry_policy     jsonb,
  created_at       timestamptz,
  updated_at       timestamptz,
  started_at       timestamptz,
  finished_at      timestamptz,
  output           text,
  error_kind       text,
  error_message    text,
  parent_ids       uuid[]      NOT NULL DEFAULT '{}',
  root_id          uuid        NOT NULL,
  idempotency_key  text,
  owner            text        NOT NULL,
  labels           jsonb       NOT NULL DEFAULT '{}',
  input_tokens     bigint      NOT NULL DEFAULT 0,
  output_tokens    bigint      NOT NULL DEFAULT 0,
  cost             numeric     NOT NULL DEFAULT 0,
  version          bigint      NOT NULL,
  lease_owner      text,
  lease_expires_at timestamptz
);

-- claimNext: the best QUEUED tasks in claim order
CREATE INDEX ${prefix}tasks_claim_idx ON ${prefix}tasks (priority DESC, run_at, id)
  WHERE status = 'QUEUED';
-- promoteDue, nextRunAt
CREATE INDEX ${prefix}tasks_due_idx ON ${prefix}tasks (run_at, id) WHERE status = 'SCHEDULED';
-- expiredLeases
CREATE INDEX ${prefix}tasks_lease_idx ON ${prefix}tasks (lease_expires_at) WHERE status = 'RUNNING';
-- one task per (owner, idempotency key); the key is hashed so a key of any length fits the btree
CREATE UNIQUE INDEX ${prefix}tasks_idempotency_idx ON ${prefix}tasks (owner, md5(idempotency_key))
  WHERE idempotency_key IS NOT NULL;
-- stale, countByStatus, purgeTerminalOlderThan
CREATE INDEX ${prefix}tasks_status_idx ON ${prefix}tasks (status, updated_at, id);
-- query by owner, by chain, by label (newest first by id)
CREATE INDEX ${prefix}tasks_owner_idx ON ${prefix}tasks (owner, id);
CREATE INDEX ${prefix}tasks_root_idx ON ${prefix}tasks (root_id, id);
CREATE INDEX ${prefix}tasks_labels_idx ON ${prefix}tasks USING gin (labels);

CREATE TABLE ${prefix}attempts (
  task_id       uuid        NOT NULL,
  number        int         NOT NULL,
  worker        text,
  started_at    timestamptz,
  finished_at   timestamptz,
  outcome       text        NOT NULL,
  error_kind    text,
  error_message text,
  model         text,
  input_tokens  bigint      NOT NULL DEFAULT 0,
  output_tokens bigint      NOT NULL DEFAULT 0,
  cost          numeric     NOT NULL DEFAULT 0,
  output        text,
  PRIMARY KEY (task_id, number)
);

CREATE TABLE ${prefix}events (
  seq         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_id     uuid        NOT NULL,
  from_status text,
  to_status   text        NOT NULL,
  at          timestamptz NOT NULL,
  attempt     int         NOT NULL,
  reason      text        NOT NULL
);
CREATE INDEX ${prefix}events_task_idx ON ${prefix}events (task_id, seq);

CREATE TABLE ${prefix}edges (
  parent_id uuid NOT NULL,
  child_id  uuid NOT NULL,
  PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX ${prefix}edges_child_idx ON ${prefix}edges (child_id);
