-- The lock every rollup writer holds: ticks (transaction-scoped, so a cancelled or killed tick
-- can never leave it held) and backfills.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rollup_lock_key() RETURNS bigint
LANGUAGE sql IMMUTABLE
RETURN 7414201702;
