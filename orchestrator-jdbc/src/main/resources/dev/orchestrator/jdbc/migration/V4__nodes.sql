-- The nodes alive: each records itself every heartbeat and removes itself on a graceful shutdown,
-- so a dashboard (or an operator) sees which instances serve the cluster and what each runs.
CREATE TABLE ${prefix}nodes (
  node_id    text        PRIMARY KEY,
  started_at timestamptz,
  last_seen  timestamptz NOT NULL,
  running    int         NOT NULL
);
