-- Trigram indexes for TaskQuery.text (ILIKE over name and prompt). They need the pg_trgm
-- extension: created here when the role may (it is a trusted extension since PostgreSQL 13, so the
-- CREATE privilege on the database suffices). Where it cannot be created the migration still
-- succeeds without the indexes and text search scans the table; create the extension later and run
-- this script's two CREATE INDEX statements by hand to add them.
DO $migration$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): text search over tasks will not use an index', SQLERRM;
  END;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    BEGIN
      CREATE INDEX IF NOT EXISTS ${prefix}tasks_name_trgm_idx ON ${prefix}tasks
        USING gin (name gin_trgm_ops);
      CREATE INDEX IF NOT EXISTS ${prefix}tasks_prompt_trgm_idx ON ${prefix}tasks
        USING gin (prompt gin_trgm_ops);
    EXCEPTION WHEN undefined_object THEN
      -- the extension lives in a schema outside the search path
      RAISE NOTICE 'gin_trgm_ops is not on the search path: text search will not use an index';
    END;
  END IF;
END
$migration$;
