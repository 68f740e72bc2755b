-- Blocks until no tick or backfill holds the rollup lock (the CLI waits with it instead of
-- polling); the lock is released again when the calling transaction ends.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rollup_wait() RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    SELECT pg_advisory_xact_lock(task_usage_dashboard_rollup_lock_key());
END;
